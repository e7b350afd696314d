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
export default async function globalSetup(globalConfig: { testPathPattern?: string }): Promise<void> {
  if (process.env.TEST_PG_ADMIN_URL) return;
  if (!needsDatabase(selectedProjects(process.argv), globalConfig.testPathPattern ?? '')) return;
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

/**
 * Unit specs need no database: a run limited to the unit project, or to paths under src/ or test/unit/, starts
 * none (test/helpers/database.ts says so clearly if a test needs one after all).
 */
export function needsDatabase(projects: string[], testPathPattern: string): boolean {
  if (projects.length && !projects.some((p) => p === 'medium' || p === 'e2e')) return false;
  const patterns = testPathPattern.split('|').filter(Boolean);
  if (patterns.length && patterns.every((p) => /^(\.\/)?(src|test[/\\]unit)[/\\]/.test(p))) return false;
  return true;
}

/** The names after --selectProjects (Jest keeps them out of the global config). */
export function selectedProjects(argv: string[]): string[] {
  const at = argv.findIndex((a) => a === '--selectProjects' || a.startsWith('--selectProjects='));
  if (at < 0) return [];
  if (argv[at].includes('=')) return argv[at].split('=')[1].split(',');
  const names: string[] = [];
  for (const a of argv.slice(at + 1)) {
    if (a.startsWith('-')) break;
    names.push(a);
  }
  return names;
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
