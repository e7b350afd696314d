/**
 * What the HTTP benchmarks share: a built service started as its own process on a kept database, the load
 * (random by-id searches, the `/me` floor, the cold pass) and the CPU each request costs, read from /proc.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { generateApiKey } from '../src/auth/api-key.codec';
import { Prng } from '../src/sample/prng';

/** Lesions in a `bench:http` database (BENCH_LESIONS), and the concurrent clients of a row (BENCH_CONNECTIONS). */
export const LESIONS = Number(process.env.BENCH_LESIONS ?? 32735);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

/** CPU seconds so far: the server's threads (by thread id), all PostgreSQL processes, and this process (autocannon). Linux only. */
export interface CpuSnapshot {
  threads: Map<string, number>;
  /** By process id: backends come and go, and only what they used meanwhile counts. */
  postgres: Map<string, number>;
  bench: number;
}

export function cpuSnapshot(serverPid: number): CpuSnapshot | null {
  if (!fs.existsSync(`/proc/${serverPid}/task`)) return null;
  const ticks = (statFile: string) => {
    try {
      // utime and stime: fields 14 and 15, counted after the ")" that ends the command name.
      const fields = fs.readFileSync(statFile, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return 0;
    }
  };
  const threads = new Map(fs.readdirSync(`/proc/${serverPid}/task`).map((tid) => [tid, ticks(`/proc/${serverPid}/task/${tid}/stat`)]));
  const postgres = new Map<string, number>();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith('postgres')) postgres.set(pid, ticks(`/proc/${pid}/stat`));
    } catch {
      // gone meanwhile
    }
  }
  const usage = process.cpuUsage();
  return { threads, postgres, bench: (usage.user + usage.system) / 1e6 };
}

/** Where a row's CPU went, in ms per request: the server's main thread, its busiest other thread (the index worker), the rest of it, autocannon, PostgreSQL. */
export function cpuPerRequest(before: CpuSnapshot | null, after: CpuSnapshot | null, serverPid: number, requests: number): number[] | null {
  if (!before || !after || !requests) return null;
  const deltas = [...after.threads].map(([tid, t]) => ({ tid, seconds: t - (before.threads.get(tid) ?? 0) }));
  const main = deltas.find((d) => d.tid === String(serverPid))?.seconds ?? 0;
  const others = deltas.filter((d) => d.tid !== String(serverPid)).sort((a, b) => b.seconds - a.seconds);
  const worker = others[0]?.seconds ?? 0;
  const rest = others.slice(1).reduce((sum, d) => sum + d.seconds, 0);
  const ms = (seconds: number) => (seconds * 1000) / requests;
  // A backend that exited during the row is missed (its CPU is gone with it); one that started is counted whole.
  const postgres = [...after.postgres].reduce((sum, [pid, t]) => sum + t - (before.postgres.get(pid) ?? 0), 0);
  return [main, worker, rest, after.bench - before.bench, postgres].map(ms);
}

/**
 * A fresh key of this role, written with plain SQL: the table's columns have not changed since the first
 * benchmarked build, so this works on a database of an older build too (the A/B benchmark).
 */
export async function createKey(url: string, role: 'reader' | 'admin'): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { key, prefix, secretHash } = generateApiKey();
    await client.query(`INSERT INTO api_key (name, prefix, secret_hash, role) VALUES ($1, $2, $3, $4)`, [`bench-${role}`, prefix, secretHash, role]);
    return key;
  } finally {
    await client.end();
  }
}

export interface RunningService {
  port: number;
  process: ChildProcess;
  /** Seconds from spawn to "is up at". */
  startSeconds: number;
}

/** `node <root>/dist/src/main.js` on `databaseUrl`, without the sample; resolves when it prints its URL. */
export async function startService(root: string, databaseUrl: string, port: number, dataDir: string, nodeArgs: string[] = []): Promise<RunningService> {
  const started = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'dist/src/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      SAMPLE_AUTOLOAD: 'false',
      BOOTSTRAP_ADMIN_KEY: 'never',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('is up at') && resolve());
    child.on('exit', (code) => reject(new Error(`the service in ${root} exited with ${code}`)));
  });
  return { port, process: child, startSeconds: (Date.now() - started) / 1000 };
}

/**
 * Waits for the tag prediction run the service starts after start-up (a search per lesion): the steady state
 * has it done. Returns the seconds waited.
 */
export async function waitForTagPrediction(port: number, adminKey: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const status = (await (await fetch(`http://127.0.0.1:${port}/api/v1/admin/tags/predict`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as {
      stale: boolean;
      running: boolean;
    };
    if (!status.stale && !status.running) return (Date.now() - started) / 1000;
    if (Date.now() - started > 20 * 60_000) throw new Error('tag prediction did not finish in 20 minutes (is TAG_PREDICTION_DELAY_MS -1?)');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const similarRequest = (key: string, body: () => string) => ({
  method: 'POST' as const,
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  setupRequest: (request: autocannon.Request) => ({ ...request, body: body() }),
});

/** By-id similar searches (k = 10) on random lesions of 1..lesions, for `seconds`. */
export function similarLoad(port: number, key: string, lesions: number, connections: number, seconds: number, rng: Prng): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}/api/v1/search/similar`,
    connections,
    duration: seconds,
    requests: [similarRequest(key, () => JSON.stringify({ lesionId: 1 + rng.int(0, lesions - 1), k: 10 }))],
  });
}

/** The cold pass: every lesion asked for once, in order (nothing cached yet), which warms the service. */
export function coldPass(port: number, key: string, lesions: number, connections: number): Promise<autocannon.Result> {
  let nextId = 1;
  return autocannon({
    url: `http://127.0.0.1:${port}/api/v1/search/similar`,
    connections,
    amount: lesions,
    requests: [similarRequest(key, () => JSON.stringify({ lesionId: nextId++, k: 10 }))],
  });
}

/** The floor on this machine: the cheapest authenticated route through the same stack (guard, audit, JSON). */
export function floorLoad(port: number, key: string, connections: number, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url: `http://127.0.0.1:${port}/api/v1/me`, connections, duration: seconds, headers: { authorization: `Bearer ${key}` } });
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
