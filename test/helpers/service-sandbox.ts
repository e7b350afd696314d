import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createTestDatabase } from './database';
import { ServiceProcess, startServiceProcess, stopServiceProcess } from './service-process';
import { TEST_MODELS_DIR } from './test-app';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Real service processes (`node dist/src/main.js`) on a database and a temporary folder of their own, as the
 * multi-process e2e specs run them: the spec says only how its processes differ from the common set-up.
 */
export interface ServiceSandbox {
  /** The temporary folder: DATA_DIR and INDEX_DIR lie in it, and a spec may write its own files there. */
  work: string;
  databaseUrl: string;
  /** What every process and CLI run gets. */
  env: Record<string, string>;
  /** Starts a process with the sandbox's env (plus `overrides`); `close` stops it, however it ended. */
  start(role: ServiceProcess['role'], overrides?: Record<string, string>): Promise<ServiceProcess>;
  /** Runs the built CLI and returns its stdout. */
  cli(args: string[]): Promise<string>;
  /** Creates an admin API key through the CLI (the migrations must have run: start a process first); `call` sends it. */
  createAdminKey(name: string): Promise<string>;
  /** A request to a process, with the admin key. */
  call(service: ServiceProcess, method: string, route: string, body?: object): Promise<Response>;
  sql<T>(text: string, params?: unknown[]): Promise<T[]>;
  /** Stops every process started, drops the database and removes the folder. */
  close(): Promise<void>;
}

/**
 * Builds dist/ (the processes run the build, not the sources), creates the database and the folder, and
 * fixes the env: no sample import, no bootstrap key, no debounced tag prediction, warnings only in the logs
 * (`env` may say otherwise: it gets the folder, so its paths can lie there).
 */
export async function createServiceSandbox(name: string, env: (work: string) => Record<string, string> = () => ({})): Promise<ServiceSandbox> {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  const database = await createTestDatabase();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const sandboxEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: database.url,
    DATA_DIR: path.join(work, 'data'),
    MODELS_DIR: TEST_MODELS_DIR,
    // One folder for every process: only the snapshot owner writes there.
    INDEX_DIR: path.join(work, 'index'),
    SAMPLE_AUTOLOAD: 'false',
    BOOTSTRAP_ADMIN_KEY: 'never',
    TAG_PREDICTION_DELAY_MS: '-1',
    ENCODER_PREPARE_WORKERS: '0',
    LOG_LEVEL: 'warn',
    ...env(work),
  };
  const started: ServiceProcess[] = [];
  let key: string | null = null;
  const cli = async (args: string[]) =>
    (await promisify(execFile)(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), ...args], { cwd: ROOT, env: sandboxEnv, timeout: 300_000 })).stdout;
  return {
    work,
    databaseUrl: database.url,
    env: sandboxEnv,
    async start(role, overrides = {}) {
      const service = await startServiceProcess({ ...sandboxEnv, ...overrides }, role);
      started.push(service);
      return service;
    },
    cli,
    async createAdminKey(keyName) {
      key = (await cli(['keys', 'create', '--name', keyName, '--role', 'admin'])).trim().split('\n').pop()!.trim();
      return key;
    },
    call(service, method, route, body) {
      return fetch(`${service.url}${route}`, {
        method,
        headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    },
    async sql<T>(text: string, params: unknown[] = []) {
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        return (await client.query(text, params)).rows as T[];
      } finally {
        await client.end();
      }
    },
    async close() {
      await Promise.all(started.map(stopServiceProcess));
      await database.drop();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
