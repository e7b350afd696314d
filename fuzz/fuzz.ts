/**
 * The fuzz suite (`npm run fuzz`): the built service as a child process on its own database on the local
 * PostgreSQL (with the synthetic sample loaded), its OpenAPI document read from /docs-json, and
 * FUZZ_REQUESTS generated hostile requests (fuzz/fuzz-generator.ts) sent with bounded concurrency and keys
 * of every role, while /health/live is probed throughout. Asserts: no 5xx, no crash (the child stays
 * alive), no request over 2 s, /health/live p99 under 100 ms, RSS after the run within 20 % of before.
 * A crash, a hang (health unanswered for FUZZ_HANG_KILL_S) or runaway memory (RSS over FUZZ_RSS_LIMIT_MB)
 * is recorded with the requests in flight, the child is killed and restarted, and the run goes on, so
 * one run reports every failure. Writes the report to FUZZ_REPORT (default fuzz-report.md) and exits 1
 * on any failure.
 *
 *   npm run fuzz                                  (builds first; PostgreSQL at 127.0.0.1:5432 or BENCH_PG_ADMIN_URL)
 *   FUZZ_SEED=7 FUZZ_REQUESTS=20000 npm run fuzz
 *   FUZZ_SEED=7 FUZZ_ONLY=123,456 npm run fuzz     (replays those requests of that seed, one at a time)
 *   FUZZ_BENCHMARKS=1 FUZZ_NOTE="..." npm run fuzz (also writes the report's summary to docs/BENCHMARKS.md)
 */
import { ChildProcess, fork, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { generateApiKey } from '../src/auth/api-key.codec';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { ADMIN_URL, admin, databaseUrl } from '../bench/bench-database';
import { excessStallMs, StallSummary } from '../src/common/event-loop-stalls';
import { HealthSample } from './health-prober';
import {
  curlReproducer,
  FuzzRequest,
  FuzzResult,
  FuzzRole,
  generateFuzzRequests,
  generateWarmupRequests,
  loadFuzzSeeds,
  OpenApiDocument,
  routesOf,
  sendFuzzRequest,
  unanswered,
} from './fuzz-generator';

const SEED = Number(process.env.FUZZ_SEED ?? 1);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 8);
const SLOW_MS = Number(process.env.FUZZ_SLOW_MS ?? 2000);
/** The client gives up on a request after this long (it has failed the 2 s bound long before). */
const CLIENT_TIMEOUT_MS = Number(process.env.FUZZ_CLIENT_TIMEOUT_MS ?? 15_000);
const HANG_KILL_S = Number(process.env.FUZZ_HANG_KILL_S ?? 20);
const RSS_LIMIT_MB = Number(process.env.FUZZ_RSS_LIMIT_MB ?? 2500);
/** The same requests are sent this many times to one service: a leak grows again in the second round, warm-up does not. */
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 2);
/**
 * Generated requests (another seed) sent at the run's concurrency after the per-route warm-up and before "RSS before":
 * the heap and the allocator's arenas settle at the high-water mark of 8 concurrent requests, not of one at a time.
 */
const WARMUP_REQUESTS = Number(process.env.FUZZ_WARMUP_REQUESTS ?? 2000);
/** RSS growth over the second round (relative to before the run) above this is a leak. */
const RSS_SECOND_ROUND_LIMIT = 0.05;
const HEALTH_EVERY_MS = 50;
const HEALTH_P99_MS = 100;
/** Quiet time before each RSS reading, so that it is not taken in the middle of a request's garbage. */
const SETTLE_MS = 2000;
const RSS_GROWTH_LIMIT = 0.2;
const ONLY = (process.env.FUZZ_ONLY ?? '').split(',').filter(Boolean).map(Number);
const REPORT = path.resolve(process.env.FUZZ_REPORT ?? 'fuzz-report.md');
const ROOT = path.resolve(__dirname, '..');
const SHARED_DIR = path.resolve(ROOT, '../shared');
const SAMPLE_DIR = path.join(os.tmpdir(), 'lesion-retrieval-fuzz-sample');
/** The built service to run: another build (e.g. main's, for a before/after in the same time window) with FUZZ_SERVICE_MAIN. */
const SERVICE_MAIN = path.resolve(process.env.FUZZ_SERVICE_MAIN ?? path.join(ROOT, 'dist/src/main.js'));

interface Incident {
  what: 'crash' | 'killed: hung' | 'killed: memory';
  at: number;
  detail: string;
  inFlight: FuzzRequest[];
  /** The last requests answered before it: work a request started in the background outlives its answer. */
  recentlyAnswered: FuzzResult[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function rssMb(pid: number): number | null {
  try {
    const line = fs
      .readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The service as a child process, restarted after a crash or a kill. */
class Service {
  child: ChildProcess | null = null;
  /** Set while a (re)start is under way; requests wait for it. */
  ready: Promise<void> = Promise.resolve();
  starts = 0;
  expectedExit = false;
  onUnexpectedExit: (detail: string) => void = () => undefined;
  private readonly log: fs.WriteStream;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    logFile: string,
  ) {
    this.log = fs.createWriteStream(logFile, { flags: 'a' });
  }

  start(): Promise<void> {
    this.starts++;
    this.expectedExit = false;
    const child = spawn(process.execPath, [...(process.env.FUZZ_NODE_OPTIONS ?? '').split(' ').filter(Boolean), SERVICE_MAIN], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the service did not start in 10 minutes')), 600_000);
      child.stdout!.on('data', (d: Buffer) => {
        this.log.write(d);
        if (d.toString().includes('is up at')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (d: Buffer) => this.log.write(d));
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the service exited during start-up (${code ?? signal}); see its log`));
        if (!this.expectedExit && this.child === child) this.onUnexpectedExit(`exited with ${code ?? signal}`);
      });
    });
    return this.ready;
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.expectedExit = true;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.expectedExit = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 10_000))]);
    if (timedOut) await this.kill();
    this.log.end();
  }
}

async function createKey(url: string, role: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { key, prefix, secretHash } = generateApiKey();
    await client.query('INSERT INTO api_key (name, prefix, secret_hash, role) VALUES ($1, $2, $3, $4)', [`fuzz-${role}`, prefix, secretHash, role]);
    return key;
  } finally {
    await client.end();
  }
}

interface V8Memory {
  heapUsedMb: number;
  externalMb: number;
}

/**
 * The service's V8 heap in use and its external (Buffer/ArrayBuffer) memory, from prom-client's default metrics: RSS that grows while
 * these stay flat is the allocator's high-water mark, not objects the service keeps.
 */
async function v8Memory(baseUrl: string): Promise<V8Memory | null> {
  try {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    const read = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]) / 2 ** 20;
    const memory = { heapUsedMb: read('nodejs_heap_size_used_bytes'), externalMb: read('nodejs_external_memory_bytes') };
    return Number.isFinite(memory.heapUsedMb) && Number.isFinite(memory.externalMb) ? memory : null;
  } catch {
    return null;
  }
}

async function getJson<T>(baseUrl: string, urlPath: string, key: string | null, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(baseUrl + urlPath, {
    method: init.method ?? 'GET',
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${urlPath}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function main(): Promise<void> {
  if (!fs.existsSync(SERVICE_MAIN)) throw new Error(`build first (npm run build): ${SERVICE_MAIN} is missing`);
  const db = `fuzz_${process.pid}`;
  await admin(`CREATE DATABASE ${db}`);
  const url = databaseUrl(db);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const logFile = path.join(work, 'service.log');
  const stallFile = path.join(work, 'event-loop-stalls.json');
  const service = new Service(
    {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: work,
      SAMPLE_DIR,
      SAMPLE_AUTOLOAD: 'true',
      SAMPLE_PATIENTS: process.env.FUZZ_SAMPLE_PATIENTS ?? '8',
      BOOTSTRAP_ADMIN_KEY: 'never',
      LOG_LEVEL: 'error',
      TAG_PREDICTION_DELAY_MS: '-1',
      DETECTION_SERIES_ROOT: work,
      // Which routes were being served while the event loop stalled (a build without it ignores it).
      EVENT_LOOP_STALL_LOG: stallFile,
    },
    logFile,
  );
  const incidents: Incident[] = [];
  const results: FuzzResult[] = [];
  const inFlight = new Set<FuzzRequest>();
  let restarting: Promise<void> | null = null;
  const restart = (what: Incident['what'], detail: string) => {
    if (restarting) return restarting;
    incidents.push({
      what,
      at: Date.now(),
      detail,
      inFlight: [...inFlight],
      recentlyAnswered: results.filter((r) => r.status > 0 && r.status < 300).slice(-12),
    });
    console.log(
      `\n!! ${what}: ${detail}; ${inFlight.size} request(s) in flight: ${[...inFlight].map((r) => `#${r.seq} ${r.route} ${r.target} ${r.kind}`).join('; ')}`,
    );
    restarting = (async () => {
      await service.kill();
      await service.start();
      restarting = null;
    })();
    return restarting;
  };
  service.onUnexpectedExit = (detail) => void restart('crash', detail);
  try {
    process.stdout.write(`starting the service on port ${port} (database ${db}, sample in ${SAMPLE_DIR})… `);
    const startedAt = Date.now();
    await service.start();
    console.log(`up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    const keys: Record<FuzzRole, string | null> = {
      admin: await createKey(url, 'admin'),
      curator: await createKey(url, 'curator'),
      reader: await createKey(url, 'reader'),
      none: null,
      'bad-key': 'lr_fuzzfuzz.bad-secret-that-matches-no-key',
    };
    const doc = await getJson<OpenApiDocument>(baseUrl, '/docs-json', null);
    const lesions = await getJson<{ items: { id: number }[] }>(baseUrl, '/api/v1/lesions?limit=50', keys.admin);
    const lesionIds = lesions.items.map((l) => l.id);
    const cohort = await getJson<{ id: number }>(baseUrl, '/api/v1/cohorts', keys.admin, {
      method: 'POST',
      body: { name: 'fuzz cohort', definition: { criteria: { coarseType: ['4'] } } },
    });
    const seeds = loadFuzzSeeds(SHARED_DIR, path.join(work, 'paths'), { lesionIds, cohortIds: [cohort.id] });
    fs.mkdirSync(path.join(work, 'paths'), { recursive: true });
    try {
      const { execFileSync } = await import('node:child_process');
      execFileSync('mkfifo', [path.join(work, 'paths', 'fifo.csv')]);
      seeds.hostilePaths.fifo = path.join(work, 'paths', 'fifo.csv');
    } catch {
      // no mkfifo here
    }
    const routes = routesOf(doc);
    process.stdout.write(`${routes.length} routes; generating ${REQUESTS} requests (seed ${SEED})… `);
    let requests = generateFuzzRequests(doc, seeds, { seed: SEED, count: REQUESTS });
    console.log('done');
    if (ONLY.length) requests = requests.filter((r) => ONLY.includes(r.seq));
    const concurrency = ONLY.length ? 1 : CONCURRENCY;
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

    // Warm-up: one plausible request per route and one upload of every file kind on every upload route, so the RSS
    // baseline is that of a service whose once-only initialisation (codecs, worker threads) is done; round 2 checks it.
    const warmup = generateWarmupRequests(doc, seeds, SEED + 1_000_003);
    for (const r of warmup) await sendFuzzRequest(baseUrl, r, keys, CLIENT_TIMEOUT_MS, agent);
    const warmupLoad = ONLY.length ? [] : generateFuzzRequests(doc, seeds, { seed: SEED + 2_000_003, count: WARMUP_REQUESTS });
    let warmupNext = 0;
    const warmupWorker = async () => {
      while (warmupNext < warmupLoad.length) await sendFuzzRequest(baseUrl, warmupLoad[warmupNext++], keys, CLIENT_TIMEOUT_MS, agent);
    };
    await Promise.all(Array.from({ length: concurrency }, warmupWorker));
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rssBefore = rssMb(service.child!.pid!)!;
    const heapAt = [await v8Memory(baseUrl)];
    let rssPeak = rssBefore;
    console.log(
      `warm-up: ${warmup.length} requests (one plausible per route, one upload per file kind), then ${warmupLoad.length} generated at ${concurrency} concurrent; RSS ${rssBefore.toFixed(0)} MB`,
    );

    // /health/live, probed one at a time from a process of its own (so the client's load does not delay its clock):
    // 5 s with nothing else sent (this machine's baseline), then throughout the run.
    const idleHealth: number[] = [];
    const health: HealthSample[] = [];
    let lastHealthOk = Date.now();
    let phase: 'idle' | 'run' = 'idle';
    const prober = fork(path.join(__dirname, 'health-prober.ts'), [baseUrl, String(HEALTH_EVERY_MS)], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    prober.on('message', (sample: HealthSample) => {
      // Probes during a restart measure the restart, not the service: left out (a hang is what caused it).
      if (restarting) {
        lastHealthOk = Date.now();
        return;
      }
      if (phase === 'idle') idleHealth.push(sample.ms);
      else health.push(sample);
      if (sample.ok) lastHealthOk = Date.now();
    });
    await new Promise((r) => setTimeout(r, 5000));
    phase = 'run';
    lastHealthOk = Date.now();
    // Watchdog: a hung or runaway child is killed (and the kill recorded) so the run can go on.
    const watchdog = setInterval(() => {
      if (restarting || !service.child?.pid) return;
      const rss = rssMb(service.child.pid);
      if (rss !== null) rssPeak = Math.max(rssPeak, rss);
      if (rss !== null && rss > RSS_LIMIT_MB) void restart('killed: memory', `RSS ${rss.toFixed(0)} MB > ${RSS_LIMIT_MB} MB`);
      else if (Date.now() - lastHealthOk > HANG_KILL_S * 1000) void restart('killed: hung', `/health/live unanswered for ${HANG_KILL_S} s`);
    }, 250);

    const stallsBefore = readStalls(stallFile);
    let next = 0;
    const rssAfterRound: number[] = [];
    const runStarted = Date.now();
    const worker = async () => {
      while (next < requests.length) {
        const request = requests[next++];
        if (restarting) await restarting;
        inFlight.add(request);
        const result = await sendFuzzRequest(baseUrl, request, keys, CLIENT_TIMEOUT_MS, agent);
        inFlight.delete(request);
        results.push(result);
        if (results.length % 500 === 0)
          process.stdout.write(
            `\r${results.length}/${requests.length * ROUNDS} requests, ${results.filter((x) => x.status >= 500).length} 5xx, ${incidents.length} incidents`,
          );
      }
    };
    for (let round = 0; round < (ONLY.length ? 1 : ROUNDS); round++) {
      next = 0;
      await Promise.all(Array.from({ length: concurrency }, worker));
      if (restarting) await restarting;
      // The probe goes on meanwhile: a pause with only probes in it lowers the health percentiles a little.
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      rssAfterRound.push(rssMb(service.child!.pid!) ?? NaN);
      heapAt.push(await v8Memory(baseUrl));
      console.log(
        `\rround ${round + 1}: ${results.length} requests in ${((Date.now() - runStarted) / 1000).toFixed(0)} s; RSS ${rssAfterRound[round].toFixed(0)} MB`,
      );
    }
    const runSeconds = (Date.now() - runStarted) / 1000;
    prober.kill();
    clearInterval(watchdog);
    agent.destroy();
    const rssAfter = rssAfterRound[0];
    const stalls = diffStalls(stallsBefore, readStalls(stallFile));
    const stillAlive = service.child!.exitCode === null && service.child!.signalCode === null;

    const reportInput: ReportInput = {
      baseUrl,
      requests,
      results,
      incidents,
      health,
      idleHealth,
      rssBefore,
      rssAfter,
      rssAfterRound,
      heapAt,
      stalls,
      rssPeak,
      warmupLabel: `${warmup.length} requests (one plausible per route, one upload of every file kind on every upload route) then ${warmupLoad.length} generated (another seed) at ${concurrency} concurrent`,
      runSeconds,
      routes: routes.map((r) => r.route),
      stillAlive,
      starts: service.starts,
      seedsLabel: describeSeeds(seeds),
      logFile,
    };
    const report = buildReport(reportInput);
    fs.writeFileSync(REPORT, report.text);
    // FUZZ_BENCHMARKS=1 also records the run in docs/BENCHMARKS.md (without the curl lines), with FUZZ_NOTE as a preface.
    if (process.env.FUZZ_BENCHMARKS) {
      const condensed = buildReport({ ...reportInput, condensed: true }).text.replace(
        /^## .*\n/,
        (heading) => `${heading}\n${process.env.FUZZ_NOTE ? `${process.env.FUZZ_NOTE}\n` : ''}`,
      );
      writeSection('fuzz', condensed);
    }
    console.log(report.text);
    console.log(`\nreport written to ${REPORT}; service log: ${logFile}`);
    process.exitCode = report.failed ? 1 : 0;
  } finally {
    await service.stop();
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
    if (!process.env.FUZZ_KEEP_WORK) fs.rmSync(path.join(work, 'paths'), { recursive: true, force: true });
  }
}

function readStalls(file: string): StallSummary | null {
  // A build before the summary was written aside and renamed could be read mid-write: a few tries.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as StallSummary;
    } catch {
      if (!fs.existsSync(file)) return null; // a build without the diagnostic
    }
  }
  return null;
}

/** The stalls recorded during the run: the summary after it less the one before (start-up and warm-up). */
function diffStalls(before: StallSummary | null, after: StallSummary | null): StallSummary | null {
  if (!after) return null;
  const earlier = new Map((before?.routes ?? []).map((r) => [r.route, r]));
  const routes = after.routes
    .map((r) => {
      const e = earlier.get(r.route);
      return {
        ...r,
        stalls: r.stalls - (e?.stalls ?? 0),
        totalMs: r.totalMs - (e?.totalMs ?? 0),
        alone: r.alone - (e?.alone ?? 0),
        requests: r.requests - (e?.requests ?? 0),
        inFlightMs: r.inFlightMs - (e?.inFlightMs ?? 0),
      };
    })
    .filter((r) => r.stalls > 0);
  const during = {
    ...after,
    stalls: after.stalls - (before?.stalls ?? 0),
    totalMs: after.totalMs - (before?.totalMs ?? 0),
    observedMs: after.observedMs - (before?.observedMs ?? 0),
    routes,
  };
  routes.sort((a, b) => excessStallMs(during, b) - excessStallMs(during, a));
  return during;
}

function describeSeeds(seeds: ReturnType<typeof loadFuzzSeeds>): string {
  return `${seeds.lesionIds.length} lesion ids, ${seeds.png16.length} real 16-bit PNG and ${seeds.jpeg.length} real JPEG slices${seeds.xlsx ? ', a real xlsx' : ''}, ${Object.keys(seeds.hostilePaths).length} hostile server paths`;
}

interface ReportInput {
  baseUrl: string;
  requests: FuzzRequest[];
  results: FuzzResult[];
  incidents: Incident[];
  health: { at: number; ms: number; ok: boolean }[];
  /** /health/live latencies with no other traffic, before the run: what this machine gives at rest. */
  idleHealth: number[];
  rssBefore: number;
  /** After the first round: the check. */
  rssAfter: number;
  rssAfterRound: number[];
  /** The service's V8 heap and external memory before the run and after each round (from its /metrics). */
  heapAt: (V8Memory | null)[];
  /** Event-loop stalls during the run by the routes served during them (EVENT_LOOP_STALL_LOG), or null. */
  stalls: StallSummary | null;
  /** What was sent before "RSS before" was read. */
  warmupLabel: string;
  rssPeak: number;
  runSeconds: number;
  routes: string[];
  stillAlive: boolean;
  starts: number;
  seedsLabel: string;
  logFile: string;
  /** For docs/BENCHMARKS.md: no curl lines (the report file has them). */
  condensed?: boolean;
}

/** The top routes being served while the event loop stalled: what to move off it. */
function stallLines(stalls: StallSummary | null): string[] {
  if (!stalls) return ['Event-loop stalls: not recorded (a build without EVENT_LOOP_STALL_LOG).', ''];
  return [
    `Event-loop stalls over ${stalls.thresholdMs} ms during the run: ${stalls.stalls}, ${(stalls.totalMs / 1000).toFixed(1)} s in all over ${(stalls.observedMs / 1000).toFixed(0)} s (EVENT_LOOP_STALL_LOG). Each is counted for every route being served during it (in flight, or answered since the probe's last tick; "alone": the only one). A route that only waits collects stalls in proportion to its time in flight; the routes below are ordered by the stall time beyond that share ("excess"), the likeliest blockers first.`,
    '',
    '| route | requests | in flight s | stalls | stall ms | excess ms | alone |',
    '|---|---|---|---|---|---|---|',
    ...stalls.routes
      .slice(0, 12)
      .map(
        (r) =>
          `| ${r.route} | ${r.requests} | ${(r.inFlightMs / 1000).toFixed(1)} | ${r.stalls} | ${r.totalMs.toFixed(0)} | ${excessStallMs(stalls, r).toFixed(0)} | ${r.alone} |`,
      ),
    '',
  ];
}

/** Writes a long request body beside the report, for its curl line. */
function reproducerBody(request: FuzzRequest): string | undefined {
  if (!request.body || request.body.length <= 4096) return undefined;
  const dir = `${REPORT.replace(/\.md$/, '')}-bodies`;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${SEED}-${request.seq}.bin`);
  fs.writeFileSync(file, request.body);
  return file;
}

function buildReport(input: ReportInput): { text: string; failed: boolean } {
  const { results, incidents, health } = input;
  const fiveXx = results.filter((r) => r.status >= 500);
  const noAnswer = results.filter(unanswered);
  const closedEarly = results.filter((r) => r.closedEarly);
  const slow = results.filter((r) => r.ms > SLOW_MS);
  const healthMs = health.map((h) => (h.ok ? h.ms : Math.max(h.ms, 2000)));
  const healthP99 = percentile(healthMs, 99);
  const rssGrowth = (input.rssAfter - input.rssBefore) / input.rssBefore;
  const checks = [
    { name: 'responses 5xx', ok: fiveXx.length === 0, value: String(fiveXx.length) },
    {
      name: 'crashes, hangs and memory kills of the service',
      ok: incidents.length === 0 && input.stillAlive,
      value: `${incidents.length} (${incidents.map((i) => i.what).join(', ') || 'none'}); service started ${input.starts} time(s)`,
    },
    { name: 'requests without an answer (client timeout or connection error)', ok: noAnswer.length === 0, value: String(noAnswer.length) },
    { name: `requests over ${SLOW_MS} ms`, ok: slow.length === 0, value: String(slow.length) },
    {
      name: `/health/live p99 under ${HEALTH_P99_MS} ms`,
      ok: healthP99 < HEALTH_P99_MS,
      value: `p50 ${percentile(healthMs, 50).toFixed(1)} ms, p99 ${healthP99.toFixed(1)} ms, max ${Math.max(...healthMs).toFixed(0)} ms over ${health.length} probes, ${health.filter((h) => !h.ok).length} failed (with no other traffic, before the run: p50 ${percentile(input.idleHealth, 50).toFixed(1)} ms, p99 ${percentile(input.idleHealth, 99).toFixed(1)} ms)`,
    },
    {
      name: `RSS after within ${RSS_GROWTH_LIMIT * 100} % of before`,
      ok: Math.abs(rssGrowth) <= RSS_GROWTH_LIMIT,
      value: `${input.rssBefore.toFixed(0)} → ${input.rssAfter.toFixed(0)} MB (${(rssGrowth * 100).toFixed(1)} %), peak ${input.rssPeak.toFixed(0)} MB${input.starts > 1 ? ' (after a restart: not comparable)' : ''}`,
    },
  ];
  if (input.rssAfterRound.length > 1) {
    const last = input.rssAfterRound[input.rssAfterRound.length - 1];
    const leak = (last - input.rssAfter) / input.rssBefore;
    checks.push({
      name: `RSS growth over the same requests again within ${RSS_SECOND_ROUND_LIMIT * 100} % of before (a leak grows again)`,
      ok: Math.abs(leak) <= RSS_SECOND_ROUND_LIMIT,
      value: `after each round: ${input.rssAfterRound.map((mb) => mb.toFixed(0)).join(' → ')} MB (${(leak * 100).toFixed(1)} % of before); V8 heap used / external before and after each round: ${input.heapAt.map((m) => (m ? `${m.heapUsedMb.toFixed(0)} / ${m.externalMb.toFixed(0)}` : '?')).join(' → ')} MB`,
    });
  }
  const failed = checks.some((c) => !c.ok);
  const statusCounts = new Map<number, number>();
  for (const r of results) statusCounts.set(r.status, (statusCounts.get(r.status) ?? 0) + 1);
  const byRoute = new Map<string, FuzzResult[]>();
  for (const route of input.routes) byRoute.set(route, []);
  for (const r of results) byRoute.get(r.request.route)?.push(r);
  const statusList = (rs: FuzzResult[]) => {
    const counts = new Map<number, number>();
    for (const r of rs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    return [...counts]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s || 'none'}×${n}`)
      .join(' ');
  };
  const groupKey = (r: FuzzResult) => `${r.request.route} | ${r.request.target} | ${r.request.kind}`;
  const grouped = (rs: FuzzResult[]) => {
    const groups = new Map<string, FuzzResult[]>();
    for (const r of rs) (groups.get(groupKey(r)) ?? groups.set(groupKey(r), []).get(groupKey(r))!).push(r);
    return [...groups].sort((a, b) => b[1].length - a[1].length);
  };
  const fence = (text: string) => ['```', text, '```'];
  const lines: string[] = [
    `## Fuzz suite (\`npm run fuzz\`)`,
    '',
    `${machineLine()}; PostgreSQL at ${new URL(ADMIN_URL).host}; seed ${SEED}; ${results.length} requests (${input.rssAfterRound.length} round(s) of ${input.requests.length}) over ${input.routes.length} routes (every route in the OpenAPI document), ${CONCURRENCY} concurrent, keys of every role (admin, curator, reader, none, a bad key); ${input.runSeconds.toFixed(0)} s; seeds: ${input.seedsLabel}; warm-up before "RSS before": ${input.warmupLabel}.`,
    '',
    `Result: **${failed ? 'FAIL' : 'PASS'}**`,
    '',
    '| check | pass | measured |',
    '|---|---|---|',
    ...checks.map((c) => `| ${c.name} | ${c.ok ? 'yes' : '**no**'} | ${c.value} |`),
    '',
    `Over-limit bodies cut off by the server before the client finished sending (a refusal whose answer the client could not read; not counted as failures): ${closedEarly.length}.`,
    '',
    ...stallLines(input.stalls),
    `Statuses: ${[...statusCounts]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s || 'no answer'} × ${n}`)
      .join(', ')}.`,
    '',
    '### By route',
    '',
    '| route | requests | statuses | 5xx | slowest ms |',
    '|---|---|---|---|---|',
    ...[...byRoute].map(
      ([route, rs]) =>
        `| ${route} | ${rs.length} | ${statusList(rs)} | ${rs.filter((r) => r.status >= 500).length} | ${rs.length ? Math.max(...rs.map((r) => r.ms)).toFixed(0) : '–'} |`,
    ),
    '',
    `### Responses 5xx (${fiveXx.length}), grouped by route, input and mutation; one reproducer each`,
    '',
  ];
  for (const [key, rs] of grouped(fiveXx)) {
    const r = rs[0];
    lines.push(
      `- **${key}**: ${rs.length} × ${[...new Set(rs.map((x) => x.status))].join('/')} (requests ${rs.map((x) => `#${x.request.seq}`).join(', ')}); e.g. #${r.request.seq} (${r.request.role}): \`${(r.bodyStart ?? '').slice(0, 200).replace(/`/g, "'")}\``,
    );
    if (!input.condensed) lines.push('', ...fence(curlReproducer(input.baseUrl, r.request, SEED, reproducerBody(r.request))), '');
  }
  lines.push(`### Requests without an answer (${noAnswer.length})`, '');
  for (const [key, rs] of grouped(noAnswer)) lines.push(`- **${key}**: ${rs.length} × (${rs[0].error}); e.g. #${rs[0].request.seq}`);
  lines.push('', `### Crashes, hangs and memory kills (${incidents.length})`, '');
  for (const incident of incidents) {
    lines.push(
      `- **${incident.what}** (${incident.detail}) with in flight: ${incident.inFlight.map((r) => `#${r.seq} ${r.route} ${r.target} ${r.kind}`).join('; ') || 'nothing'}; the last successful answers before it: ${incident.recentlyAnswered.map((r) => `#${r.request.seq} ${r.request.route} ${r.request.target} ${r.request.kind} → ${r.status}`).join('; ')}`,
    );
  }
  lines.push(
    '',
    `### Slowest requests (over ${SLOW_MS} ms: ${slow.length})`,
    '',
    '| # | route | input | mutation | role | status | ms |',
    '|---|---|---|---|---|---|---|',
  );
  for (const r of [...results].sort((a, b) => b.ms - a.ms).slice(0, 15)) {
    lines.push(
      `| ${r.request.seq} | ${r.request.route} | ${r.request.target} | ${r.request.kind} | ${r.request.role} | ${r.status || r.error} | ${r.ms.toFixed(0)} |`,
    );
  }
  lines.push(
    '',
    `Replay one request: \`FUZZ_SEED=${SEED} FUZZ_REQUESTS=${REQUESTS} FUZZ_ONLY=<#> npm run fuzz\` (keys as \`$ADMIN_KEY\` etc. in the curl lines).`,
  );
  return { text: lines.join('\n') + '\n', failed };
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
