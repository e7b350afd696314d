import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresLauncher } from '../src/database/embedded-postgres.launcher';

/**
 * Finds a real PostgreSQL server for the medium and e2e tiers: TEST_PG_ADMIN_URL if given, else
 * the machine's server on 127.0.0.1:5432 when it answers, else an embedded one in a temporary
 * folder. Each test file then creates its own database on that server (test/helpers/database.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_PG_ADMIN_URL) return;
  const local = 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await answers(local)) {
    process.env.TEST_PG_ADMIN_URL = local;
    console.log('\n[test] using PostgreSQL at 127.0.0.1:5432');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lesions-test-pg-'));
  fs.chmodSync(dir, 0o755);
  const launcher = new EmbeddedPostgresLauncher(path.join(dir, 'pg'), 54339);
  const url = await launcher.start();
  process.env.TEST_PG_ADMIN_URL = url.replace(/\/[^/]+$/, '/postgres');
  (globalThis as Record<string, unknown>).__EMBEDDED_PG__ = { launcher, dir };
  console.log(`\n[test] 127.0.0.1:5432 did not answer; using embedded PostgreSQL in ${dir}`);
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
