/**
 * Two builds of the service compared in one run, side by side: both started on their own kept `bench:http`
 * databases, both warmed by the cold pass, then loaded in turn (order A B B A …) with by-id similar searches
 * and the `/me` floor, CPU per request read from /proc for each row. Run one after the other, each in its own
 * `bench:http`, two builds differed by 8–16 % on this 2-core VM, and the same build by as much between runs;
 * alternated within one run, the machine's drift falls on both alike.
 *
 *   BENCH_AB_BEFORE=/path/to/other/checkout:bench_http_123 BENCH_AB_AFTER=.:bench_http_456 npm run bench:http-ab
 *
 * Each side is a built checkout (`npm run build` there) and a database kept by `BENCH_KEEP_DB=1 npm run bench:http`
 * run from that checkout (the schema is the checkout's own). BENCH_ROUNDS (6), BENCH_SECONDS (10).
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { Prng } from '../src/sample/prng';
import { databaseUrl } from './bench-database';
import * as load from './http-load';

const { LESIONS, CONNECTIONS } = load;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1 && SECONDS >= 1)) throw new Error('BENCH_ROUNDS must be a whole number ≥ 1 and BENCH_SECONDS ≥ 1');

/** The CPU of a row, per request; the comparison is of CPU, so a row without it (no /proc, no requests) stops the run. */
function rowCpu(cpu: number[] | null, what: string): number[] {
  if (!cpu) throw new Error(`${what}: no CPU reading (this benchmark reads /proc: Linux only) or no requests answered`);
  return cpu;
}

interface Side {
  label: 'before' | 'after';
  root: string;
  db: string;
  commit: string;
}

interface Measured {
  side: Side['label'];
  round: number;
  similarRate: number;
  /** ms of CPU per similar request: [main, index worker, rest of the service, autocannon, PostgreSQL]. */
  similarCpu: number[];
  floorRate: number;
  floorCpu: number[];
}

function side(label: Side['label'], spec: string | undefined): Side {
  if (!spec || !spec.includes(':')) throw new Error(`BENCH_AB_${label.toUpperCase()}=<built checkout>:<kept bench:http database> is required`);
  const at = spec.lastIndexOf(':');
  const root = path.resolve(spec.slice(0, at));
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return { label, root, db: spec.slice(at + 1), commit };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + Math.max(0, b), 0);
const pct = (ratio: number) => `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(1)} %`;

async function main(): Promise<void> {
  const sides = [side('before', process.env.BENCH_AB_BEFORE), side('after', process.env.BENCH_AB_AFTER)];
  const running: { side: Side; service: load.RunningService; key: string }[] = [];
  try {
    let port = 3917;
    for (const s of sides) {
      const url = databaseUrl(s.db);
      const key = await load.createKey(url, 'reader');
      const adminKey = await load.createKey(url, 'admin');
      // The index snapshot bench:http kept beside the database, so neither side rebuilds its graph.
      const service = await load.startService(s.root, url, port++, path.join(os.tmpdir(), `bench-http-${s.db}`));
      await load.waitForTagPrediction(service.port, adminKey);
      running.push({ side: s, service, key });
      console.log(`${s.label} (${s.commit}) is up on ${s.db} after ${service.startSeconds.toFixed(1)} s`);
    }
    for (const r of running) {
      const cold = await load.coldPass(r.service.port, r.key, LESIONS, CONNECTIONS);
      console.log(`${r.side.label}: cold pass ${Math.round(cold.requests.average)} req/s`);
    }
    const measured: Measured[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A B, then B A: each side is first as often as second.
      const order = round % 2 === 0 ? running : [...running].reverse();
      for (const r of order) {
        const pid = r.service.process.pid!;
        // The same ids for both sides in a round.
        const rng = new Prng(1000 + round);
        let before = load.cpuSnapshot(pid);
        const similar = await load.similarLoad(r.service.port, r.key, LESIONS, CONNECTIONS, SECONDS, rng);
        const similarCpu = rowCpu(load.cpuPerRequest(before, load.cpuSnapshot(pid), pid, similar.requests.total), `${r.side.label} similar`);
        before = load.cpuSnapshot(pid);
        const floor = await load.floorLoad(r.service.port, r.key, CONNECTIONS, SECONDS);
        const floorCpu = rowCpu(load.cpuPerRequest(before, load.cpuSnapshot(pid), pid, floor.requests.total), `${r.side.label} /me`);
        const errors = similar.errors + similar.non2xx + floor.errors + floor.non2xx;
        if (errors) throw new Error(`${r.side.label}: ${errors} failed requests in round ${round + 1}`);
        const row: Measured = { side: r.side.label, round, similarRate: similar.requests.average, similarCpu, floorRate: floor.requests.average, floorCpu };
        measured.push(row);
        console.log(
          `round ${round + 1} ${r.side.label}: similar ${Math.round(row.similarRate)} req/s, ${sum(similarCpu).toFixed(2)} ms CPU (main ${similarCpu[0].toFixed(2)}); /me ${Math.round(row.floorRate)} req/s, main ${floorCpu[0].toFixed(2)} ms`,
        );
      }
    }
    const of = (label: Side['label']) => measured.filter((m) => m.side === label);
    const metrics: [string, (m: Measured) => number, number][] = [
      ['similar by id: requests/s', (m) => m.similarRate, 0],
      ['similar by id: CPU per request, all processes (ms)', (m) => sum(m.similarCpu), 3],
      ['similar by id: CPU per request, main thread (ms)', (m) => m.similarCpu[0], 3],
      ['similar by id: CPU per request, index worker (ms)', (m) => m.similarCpu[1], 3],
      ['GET /me: requests/s', (m) => m.floorRate, 0],
      ['GET /me: CPU per request, main thread (ms)', (m) => m.floorCpu[0], 3],
    ];
    const rows = metrics.map(([name, read, digits]) => {
      const before = of('before').map(read);
      const after = of('after').map(read);
      // Paired by round: the two sides of one round ran a minute apart.
      const paired = after.map((a, i) => a / before[i]);
      const spread = (xs: number[]) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
      return `| ${name} | ${load.median(before).toFixed(digits)} (${spread(before)}) | ${load.median(after).toFixed(digits)} (${spread(after)}) | ${pct(load.median(after) / load.median(before))} | ${pct(load.median(paired))} (${pct(Math.min(...paired))} to ${pct(Math.max(...paired))}) | ${pct(Math.max(...before) / Math.min(...before))} |`;
    });
    const table = [
      '## HTTP A/B: two builds side by side (`npm run bench:http-ab`)',
      '',
      `${machineLine()}; before = ${sides[0].commit} (${sides[0].db}), after = ${sides[1].commit} (${sides[1].db}), each on its own kept \`bench:http\` database (${LESIONS} lesions, encoder-shaped 551-d vectors). Both services up at once, both warmed by the cold pass, then ${ROUNDS} rounds in the order A B, B A, …: ${SECONDS} s of by-id similar searches (k = 10, the same random ids for both sides in a round), then ${SECONDS} s of \`GET /me\`, ${CONNECTIONS} clients, autocannon in the benchmark's process on the same ${os.cpus().length} cores.`,
      '',
      "| measure | before: median (range) | after: median (range) | after / before (medians) | after / before, paired by round: median (range) | before's own spread (max / min) |",
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      'Within noise means: the change between medians is smaller than the spread of one build over the same run.',
    ].join('\n');
    console.log(table);
    writeSection('http-ab', table);
  } finally {
    for (const r of running) r.service.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
