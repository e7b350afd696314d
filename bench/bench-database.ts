/** The PostgreSQL server benchmarks create their scratch databases on (BENCH_PG_ADMIN_URL). */
import { Client } from 'pg';

export const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** One statement on the server's admin database (CREATE / DROP DATABASE). */
export async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The URL of a database on the same server. */
export function databaseUrl(name: string): string {
  return ADMIN_URL.replace(/\/[^/]+$/, `/${name}`);
}
