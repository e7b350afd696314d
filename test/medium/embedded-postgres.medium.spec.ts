import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The zero-configuration path of `npm start`: a real PostgreSQL in a data folder, reused across starts. */
describe('embedded PostgreSQL (medium)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-pg-'));
  fs.chmodSync(dir, 0o755);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('initialises, stops cleanly and keeps its data for the next start', () => {
    const port = 54400 + (process.pid % 500);
    const output = execFileSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'test/scenarios/embedded-postgres.scenario.ts', path.join(dir, 'pg'), String(port)],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    const observed = JSON.parse(output.trim().split('\n').pop()!);
    expect(observed).toEqual({
      sharedWhileRunning: true,
      serverMajor: expect.any(Number),
      pidFileAfterStop: false,
      answersAfterStop: false,
      kept: [{ v: 42 }],
    });
    expect(observed.serverMajor).toBeGreaterThanOrEqual(15);
  });
});
