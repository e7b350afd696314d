/**
 * Vector search at archive scale: exact scan in plain JavaScript vs HNSW (hnswlib-node, and usearch when it
 * is installed) on seeded, clustered, L2-normalised 551-d float32 vectors (see bench/search-vectors.ts).
 *
 *   npx ts-node --transpile-only bench/search.bench.ts
 *
 * Environment:
 *   BENCH_N                    comma-separated sizes (default "32735,1000000")
 *   BENCH_QUERIES              query count (default 1000)
 *   BENCH_MAX_MINUTES          time box per N (default 25); builds that would not fit are stopped after 5 %
 *   BENCH_EF_CONSTRUCTION      efConstruction for N ≤ 200,000 (default 200)
 *   BENCH_EF_CONSTRUCTION_LARGE efConstruction for larger N (default 64, so that 1M fits a 25-minute box on 2 cores)
 *   BENCH_GT_JS_QUERIES        queries whose ground truth is scanned in JavaScript (default all for N ≤ 200,000,
 *                              else 100; the rest come from usearch's exactSearch, cross-checked on that subset)
 *   BENCH_EFS                  ef values of the search sweep (default 10,20,40,80,160)
 *   BENCH_LIBS                 "hnswlib,usearch" (default both)
 *   BENCH_VECTORS              "encoder" (default): clustered vectors along the principal axes of the default encoder's
 *                              embeddings of real CT (measured by bench/embedding-spectrum.ts, run first when its
 *                              output is missing; needs ../shared); "isotropic": the same clusters in all 551
 *                              directions alike, a harsher case than real embeddings
 *
 * For each N it writes the section `search-N` of docs/BENCHMARKS.md and prints it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { HierarchicalNSW } from 'hnswlib-node';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { DIM, exactTopK, generateEncoderShapedVectors, generateVectors, Rng, VectorSet } from './search-vectors';
import { encoderSpectrum } from './embedding-spectrum';

type UsearchModule = typeof import('usearch');
let usearch: UsearchModule | null = null;
let usearchError = '';
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  usearch = require('usearch') as UsearchModule;
} catch (err) {
  usearchError = (err as Error).message.split('\n')[0];
}

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

const SIZES = (process.env.BENCH_N ?? '32735,1000000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => n > 0);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 1000);
const MAX_MINUTES = Number(process.env.BENCH_MAX_MINUTES ?? 25);
const K = 10;
const M = 16;
const EFS = (process.env.BENCH_EFS ?? '10,20,40,80,160').split(',').map(Number);
const FILTER_EFS = [20, 80];
const FILTER_FRACTION = 0.01;
const LIBS = (process.env.BENCH_LIBS ?? 'hnswlib,usearch').split(',').map((s) => s.trim());
const THREADS = os.cpus().length;
const VECTORS = process.env.BENCH_VECTORS ?? 'encoder';
if (VECTORS !== 'encoder' && VECTORS !== 'isotropic') throw new Error('BENCH_VECTORS is "encoder" or "isotropic"');

function efConstructionFor(n: number): number {
  return n <= 200_000 ? Number(process.env.BENCH_EF_CONSTRUCTION ?? 200) : Number(process.env.BENCH_EF_CONSTRUCTION_LARGE ?? 64);
}

// ---------------------------------------------------------------- small helpers

const now = (): number => performance.now();
const rss = (): number => process.memoryUsage.rss();
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const fmt = (n: number): string => n.toLocaleString('en-US');
const ms = (x: number, digits = 3): string => x.toFixed(digits);
const secs = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1)) + ' s';

function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i];
}

interface Latency {
  p50: number;
  p99: number;
  mean: number;
  qps: number;
}

function latency(samples: Float64Array, totalMs: number): Latency {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const s of samples) sum += s;
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), mean: sum / samples.length, qps: (samples.length / totalMs) * 1000 };
}

/** |found ∩ truth| summed over queries / (queries × K). */
function recallOf(found: Int32Array, truth: Int32Array, queries: number, truthCounts?: Int32Array): number {
  let hit = 0;
  let total = 0;
  for (let q = 0; q < queries; q++) {
    const want = truthCounts ? truthCounts[q] : K;
    const set = new Set<number>();
    for (let i = 0; i < want; i++) set.add(truth[q * K + i]);
    for (let i = 0; i < K; i++) {
      const id = found[q * K + i];
      if (id >= 0 && set.has(id)) hit++;
    }
    total += want;
  }
  return total ? hit / total : NaN;
}

class TimeBox {
  constructor(readonly deadline: number) {}
  left(): number {
    return (this.deadline - now()) / 1000;
  }
}

// ---------------------------------------------------------------- result shapes

interface BuildResult {
  lib: string;
  params: string;
  complete: boolean;
  inserted: number;
  seconds: number;
  /** Seconds projected for the full build (from the first 5 %), when it was stopped. */
  estimateSeconds?: number;
  rssDelta: number;
  fileBytes: number;
  note: string;
}

interface SweepRow {
  lib: string;
  ef: number;
  recall: number;
  lat: Latency;
}

interface FilterRow {
  method: string;
  queries: number;
  ef: number | null;
  short: number;
  recall: number;
  lat: Latency;
}

// ---------------------------------------------------------------- ground truth

interface GroundTruth {
  ids: Int32Array;
  /** Queries with ground truth (the first `count`). */
  count: number;
  jsQueries: number;
  jsLatency: Latency;
  source: string;
}

function groundTruth(set: VectorSet, box: TimeBox): GroundTruth {
  const { n, base, query } = set;
  const defaultJs = n <= 200_000 ? QUERIES : 100;
  let jsQueries = Math.min(QUERIES, Number(process.env.BENCH_GT_JS_QUERIES ?? defaultJs));
  const ids = new Int32Array(QUERIES * K).fill(-1);
  const samples: number[] = [];
  const t0 = now();
  for (let q = 0; q < jsQueries; q++) {
    const t = now();
    const top = exactTopK(base, n, query, q * DIM, K);
    samples.push(now() - t);
    ids.set(top.ids, q * K);
    if (q === 4 && !usearch) {
      // Without a native exact search, keep the JavaScript scan inside a third of the time box.
      const perQuery = (now() - t0) / 5 / 1000;
      const fit = Math.floor(box.left() / 3 / perQuery);
      if (fit < jsQueries) {
        jsQueries = Math.max(5, fit);
        log(`exact scan: ${perQuery.toFixed(2)} s/query, limiting ground truth to ${jsQueries} queries`);
      }
    }
  }
  const jsLatency = latency(Float64Array.from(samples), now() - t0);
  log(`exact JS scan: ${jsQueries} queries, p50 ${ms(jsLatency.p50, 2)} ms, p99 ${ms(jsLatency.p99, 2)} ms`);
  if (jsQueries >= QUERIES || !usearch) {
    return { ids, count: jsQueries, jsQueries, jsLatency, source: `plain-JS exact scan, all ${fmt(jsQueries)} queries` };
  }
  // Remaining queries: usearch's SIMD exact search, in batches (it holds queries × N × 16 B while it works).
  const t1 = now();
  const batch = Math.max(1, Math.floor(1.5e9 / (n * 16)));
  const native = new Int32Array(QUERIES * K);
  for (let q0 = 0; q0 < QUERIES; q0 += batch) {
    const q1 = Math.min(QUERIES, q0 + batch);
    // exactSearch reads the ArrayBuffer from its start, so pass queries in a buffer of their own.
    const qs = new Float32Array(query.subarray(q0 * DIM, q1 * DIM));
    const res = usearch.exactSearch(base, qs, DIM, K, usearch.MetricKind.IP, THREADS) as unknown as { keys: BigUint64Array };
    for (let i = 0; i < (q1 - q0) * K; i++) native[q0 * K + i] = Number(res.keys[i]);
  }
  const nativeSec = (now() - t1) / 1000;
  const agreement = recallOf(native, ids, jsQueries);
  log(`usearch exactSearch: ${QUERIES} queries in ${secs(nativeSec)}, agrees with JS on ${(agreement * 100).toFixed(2)} % of the first ${jsQueries}`);
  ids.set(native.subarray(jsQueries * K), jsQueries * K);
  return {
    ids,
    count: QUERIES,
    jsQueries,
    jsLatency,
    source: `plain-JS exact scan for the first ${fmt(jsQueries)} queries (latency measured on those); usearch \`exactSearch\` (f32 SIMD, ${THREADS} threads, ${secs(nativeSec)}) for all ${fmt(QUERIES)}, agreeing with the JS top-10 on ${(agreement * 100).toFixed(2)} % of the JS subset`,
  };
}

// ---------------------------------------------------------------- hnswlib-node

function timeBudgetOk(label: string, started: number, halfAt: number, done: number, n: number, budgetSec: number): { ok: boolean; estimate: number } {
  const elapsed = (now() - started) / 1000;
  const linear = (elapsed * n) / done;
  // The first inserts are cheap (small graph), so project from the rate of the second half of the probe, and
  // scale by log(size) since an insert's cost grows roughly with it.
  const rate = (done - done / 2) / Math.max(1e-3, elapsed - halfAt);
  const estimate = elapsed + ((n - done) / rate) * (Math.log(n) / Math.log(Math.max(2, done)));
  log(`${label}: ${fmt(done)} inserted in ${secs(elapsed)}; full build projected at ${secs(estimate)} (linear ${secs(linear)}), budget ${secs(budgetSec)}`);
  return { ok: estimate <= budgetSec, estimate };
}

function runHnswlib(
  set: VectorSet,
  gt: GroundTruth,
  box: TimeBox,
  budgetSec: number,
  sweep: SweepRow[],
  filtered: FilterRow[],
  mask: Uint8Array,
  filterGt: Int32Array,
  filterGtCounts: Int32Array,
): BuildResult {
  const { n, base, query } = set;
  const efc = efConstructionFor(n);
  const params = `space ip, M ${M}, efConstruction ${efc}`;
  gc();
  const rss0 = rss();
  const index = new HierarchicalNSW('ip', DIM);
  index.initIndex({ maxElements: n, m: M, efConstruction: efc, randomSeed: 100 });
  const row: number[] = new Array<number>(DIM).fill(0);
  const t0 = now();
  const probeAt = Math.ceil(n * 0.05);
  const halfProbe = Math.ceil(probeAt / 2);
  let halfAt = 0;
  let estimate: number | undefined;
  let inserted = 0;
  let stopped = '';
  for (let i = 0; i < n; i++) {
    const o = i * DIM;
    for (let j = 0; j < DIM; j++) row[j] = base[o + j];
    index.addPoint(row, i);
    inserted = i + 1;
    if (inserted === halfProbe) halfAt = (now() - t0) / 1000;
    if (inserted === probeAt) {
      const check = timeBudgetOk('hnswlib build', t0, halfAt, inserted, n, budgetSec);
      estimate = check.estimate;
      if (!check.ok) {
        stopped = `stopped after 5 %: projected ${secs(check.estimate)} exceeds the ${secs(budgetSec)} left for this build`;
        break;
      }
    } else if (inserted % 20000 === 0) {
      const elapsed = (now() - t0) / 1000;
      if (inserted % 100000 === 0) log(`hnswlib build: ${fmt(inserted)}/${fmt(n)} in ${secs(elapsed)}`);
      if (elapsed > budgetSec * 1.25) {
        stopped = `stopped at ${fmt(inserted)} inserts after ${secs(elapsed)}: over the time box`;
        break;
      }
    }
  }
  const seconds = (now() - t0) / 1000;
  const rssDelta = rss() - rss0;
  if (stopped) {
    log(`hnswlib: ${stopped}`);
    return { lib: 'hnswlib-node', params, complete: false, inserted, seconds, estimateSeconds: estimate, rssDelta, fileBytes: NaN, note: stopped };
  }
  log(`hnswlib build: ${secs(seconds)}, RSS +${mib(rssDelta)}`);
  const file = path.join(os.tmpdir(), `bench-search-hnswlib-${process.pid}.bin`);
  index.writeIndexSync(file);
  const fileBytes = fs.statSync(file).size;
  fs.unlinkSync(file);

  const queries: number[][] = [];
  for (let q = 0; q < gt.count; q++) queries.push(Array.from(query.subarray(q * DIM, (q + 1) * DIM)));
  for (const ef of EFS) {
    index.setEf(ef);
    for (let q = 0; q < Math.min(50, gt.count); q++) index.searchKnn(queries[q], K);
    const found = new Int32Array(gt.count * K).fill(-1);
    const samples = new Float64Array(gt.count);
    const t = now();
    for (let q = 0; q < gt.count; q++) {
      const s = now();
      const res = index.searchKnn(queries[q], K);
      samples[q] = now() - s;
      found.set(res.neighbors, q * K);
    }
    const row = { lib: 'hnswlib-node', ef, recall: recallOf(found, gt.ids, gt.count), lat: latency(samples, now() - t) };
    sweep.push(row);
    log(`hnswlib ef ${ef}: recall@10 ${row.recall.toFixed(4)}, p50 ${ms(row.lat.p50)} ms, p99 ${ms(row.lat.p99)} ms, ${row.lat.qps.toFixed(0)} q/s`);
  }

  // Filtered search: label predicate over a 1 % subset.
  // Each ef gets at most min(90 s, 1/6 of what is left); fewer queries are evaluated if it runs out.
  const filter = (label: number): boolean => mask[label] === 1;
  for (const ef of FILTER_EFS) {
    if (box.left() < 120 && ef !== FILTER_EFS[0]) break;
    const capMs = Math.min(90, box.left() / 6) * 1000;
    index.setEf(ef);
    const found = new Int32Array(gt.count * K).fill(-1);
    const samples: number[] = [];
    let short = 0;
    let done = 0;
    const t = now();
    for (let q = 0; q < gt.count; q++) {
      const s = now();
      const res = index.searchKnn(queries[q], K, filter);
      samples.push(now() - s);
      if (res.neighbors.length < K) short++;
      found.set(res.neighbors.slice(0, K), q * K);
      done = q + 1;
      if (now() - t > capMs) break;
    }
    const row = {
      method: 'hnswlib-node, filter callback',
      ef,
      short,
      queries: done,
      recall: recallOf(found, filterGt, done, filterGtCounts),
      lat: latency(Float64Array.from(samples), now() - t),
    };
    filtered.push(row);
    log(`hnswlib filtered ef ${ef}: ${done} queries, ${short} short, recall@10 ${row.recall.toFixed(4)}, p50 ${ms(row.lat.p50)} ms, p99 ${ms(row.lat.p99)} ms`);
  }
  return { lib: 'hnswlib-node', params, complete: true, inserted, seconds, rssDelta, fileBytes, note: '' };
}

// ---------------------------------------------------------------- usearch

function runUsearch(set: VectorSet, gt: GroundTruth, box: TimeBox, budgetSec: number, sweep: SweepRow[]): BuildResult {
  const u = usearch as UsearchModule;
  const { n, base, query } = set;
  const efc = efConstructionFor(n);
  const params = `metric ip, f32, connectivity ${M}, expansion_add ${efc}, ${THREADS} insert threads`;
  const config = { dimensions: DIM, metric: u.MetricKind.IP, quantization: u.ScalarKind.F32, connectivity: M, expansion_add: efc, multi: false };
  gc();
  const rss0 = rss();
  let index: InstanceType<UsearchModule['Index']> | null = new u.Index({ ...config, expansion_search: 64 });
  const batch = Math.ceil(n * 0.025);
  const t0 = now();
  let halfAt = 0;
  let inserted = 0;
  let estimate: number | undefined;
  let stopped = '';
  for (let i0 = 0; i0 < n; i0 += batch) {
    const i1 = Math.min(n, i0 + batch);
    const keys = new BigUint64Array(i1 - i0);
    for (let i = i0; i < i1; i++) keys[i - i0] = BigInt(i);
    index.add(keys, base.subarray(i0 * DIM, i1 * DIM), THREADS);
    inserted = i1;
    if (i0 === 0) halfAt = (now() - t0) / 1000;
    else if (i0 === batch && i1 < n) {
      const check = timeBudgetOk('usearch build', t0, halfAt, inserted, n, budgetSec);
      estimate = check.estimate;
      if (!check.ok) {
        stopped = `stopped after 5 %: projected ${secs(check.estimate)} exceeds the ${secs(budgetSec)} left for this build`;
        break;
      }
    } else if ((now() - t0) / 1000 > budgetSec * 1.25 && i1 < n) {
      stopped = `stopped at ${fmt(inserted)} inserts after ${secs((now() - t0) / 1000)}: over the time box`;
      break;
    }
  }
  const seconds = (now() - t0) / 1000;
  const rssDelta = rss() - rss0;
  if (stopped) {
    log(`usearch: ${stopped}`);
    return { lib: 'usearch', params, complete: false, inserted, seconds, estimateSeconds: estimate, rssDelta, fileBytes: NaN, note: stopped };
  }
  log(`usearch build: ${secs(seconds)}, RSS +${mib(rssDelta)}`);
  const file = path.join(os.tmpdir(), `bench-search-usearch-${process.pid}.usearch`);
  index.save(file);
  const fileBytes = fs.statSync(file).size;
  index = null;
  gc();
  try {
    // The JS binding fixes expansion_search at construction, so each ef loads the saved graph into a new index.
    for (const ef of EFS) {
      if (box.left() < 30) {
        log(`usearch: time box reached before ef ${ef}`);
        break;
      }
      let idx: InstanceType<UsearchModule['Index']> | null = new u.Index({ ...config, expansion_search: ef });
      idx.load(file);
      const qs = new Float32Array(query.subarray(0, gt.count * DIM));
      for (let q = 0; q < Math.min(50, gt.count); q++) idx.search(qs.subarray(q * DIM, (q + 1) * DIM), K, 1);
      const found = new Int32Array(gt.count * K).fill(-1);
      const samples = new Float64Array(gt.count);
      const t = now();
      for (let q = 0; q < gt.count; q++) {
        const s = now();
        const res = idx.search(qs.subarray(q * DIM, (q + 1) * DIM), K, 1);
        samples[q] = now() - s;
        for (let i = 0; i < res.keys.length && i < K; i++) found[q * K + i] = Number(res.keys[i]);
      }
      const row = { lib: 'usearch', ef, recall: recallOf(found, gt.ids, gt.count), lat: latency(samples, now() - t) };
      sweep.push(row);
      log(`usearch ef ${ef}: recall@10 ${row.recall.toFixed(4)}, p50 ${ms(row.lat.p50)} ms, p99 ${ms(row.lat.p99)} ms, ${row.lat.qps.toFixed(0)} q/s`);
      idx = null;
      gc();
    }
  } finally {
    fs.unlinkSync(file);
  }
  return { lib: 'usearch', params, complete: true, inserted, seconds, rssDelta, fileBytes, note: '' };
}

// ---------------------------------------------------------------- one size

async function benchOne(n: number): Promise<string> {
  const box = new TimeBox(now() + MAX_MINUTES * 60_000);
  const raw = n * DIM * 4;
  log(`N = ${fmt(n)}: generating ${fmt(n + QUERIES)} vectors (${mib((n + QUERIES) * DIM * 4)})`);
  let t = now();
  const spectrum = VECTORS === 'encoder' ? encoderSpectrum(log) : null;
  const set = spectrum ? generateEncoderShapedVectors(n, QUERIES, spectrum, 551 + n) : generateVectors(n, QUERIES, 551 + n);
  const genSec = (now() - t) / 1000;
  log(`generated in ${secs(genSec)} (${fmt(set.clusters)} clusters in ${fmt(set.superClusters)} super-clusters)`);

  const gt = groundTruth(set, box);

  // Neighbourhood shape, for the reader: mean similarity of the 1st and 10th exact neighbour.
  let s1 = 0;
  let s10 = 0;
  const shapeQ = Math.min(gt.count, 100);
  for (let q = 0; q < shapeQ; q++) {
    for (const [rank, acc] of [
      [0, 1],
      [9, 10],
    ] as const) {
      const id = gt.ids[q * K + rank];
      let d = 0;
      for (let j = 0; j < DIM; j++) d += set.base[id * DIM + j] * set.query[q * DIM + j];
      if (acc === 1) s1 += d;
      else s10 += d;
    }
  }

  // Filter subset and its exact top-10 (scanning only the subset, which is also the obvious alternative plan).
  const rng = new Rng(7 + n);
  const subsetSize = Math.max(K, Math.round(n * FILTER_FRACTION));
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = 0; i < subsetSize; i++) {
    const j = i + rng.int(n - i);
    const tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
  }
  const subset = perm.slice(0, subsetSize).sort();
  const mask = new Uint8Array(n);
  for (const id of subset) mask[id] = 1;
  const filterGt = new Int32Array(QUERIES * K).fill(-1);
  const filterGtCounts = new Int32Array(QUERIES);
  const subsetSamples = new Float64Array(gt.count);
  t = now();
  for (let q = 0; q < gt.count; q++) {
    const s = now();
    const top = exactTopK(set.base, n, set.query, q * DIM, K, subset);
    subsetSamples[q] = now() - s;
    filterGt.set(top.ids, q * K);
    filterGtCounts[q] = Math.min(K, subsetSize);
  }
  const filtered: FilterRow[] = [
    { method: 'exact scan of the subset (plain JS)', ef: null, short: 0, queries: gt.count, recall: 1, lat: latency(subsetSamples, now() - t) },
  ];

  const sweep: SweepRow[] = [];
  const builds: BuildResult[] = [];
  const wantUsearch = LIBS.includes('usearch') && usearch !== null;
  if (LIBS.includes('hnswlib')) {
    // Leave ~40 % of what is left for usearch (which inserts on all cores) and the searches.
    const budget = Math.max(30, box.left() * (wantUsearch ? 0.62 : 0.9) - 60);
    builds.push(runHnswlib(set, gt, box, budget, sweep, filtered, mask, filterGt, filterGtCounts));
    gc();
  }
  if (wantUsearch) {
    const budget = Math.max(30, box.left() - 90);
    builds.push(runUsearch(set, gt, box, budget, sweep));
  }

  // ---------------------------------------------------------------- markdown
  const large = n >= 500_000;
  const target = large ? { recall: 0.97, p50: 1 } : { recall: 0.99, p50: 0.5 };
  const lines: string[] = [];
  const envNote = [
    `BENCH_N=${n}`,
    ...['BENCH_VECTORS', 'BENCH_LIBS', 'BENCH_EFS', 'BENCH_EF_CONSTRUCTION', 'BENCH_EF_CONSTRUCTION_LARGE', 'BENCH_GT_JS_QUERIES', 'BENCH_MAX_MINUTES']
      .filter((k) => process.env[k])
      .map((k) => `${k}=${process.env[k]}`),
  ].join(' ');
  lines.push(`## Vector search, N = ${fmt(n)} × ${DIM}-d (\`npx ts-node --transpile-only bench/search.bench.ts\`, ${envNote})`);
  lines.push('');
  lines.push(machineLine() + '.');
  lines.push('');
  const shape = spectrum
    ? `drawn along the principal axes of the default encoder's embeddings of real CT (${fmt(spectrum.samples)} patches: ${spectrum.lesions} DeepLesion lesions and random boxes on the real slices in ../shared), with their measured variances and mean; ` +
      `super-cluster, cluster and point offsets take 52 / 34 / 14 % of each axis's variance (the isotropic generator's shares)`
    : 'points = centre + 16-d latent variation + isotropic noise, every direction alike (harsher than real embeddings)';
  lines.push(
    `Synthetic L2-normalised float32 vectors (seeded): ${fmt(set.clusters)} clusters (≈30 points each, Poisson) in ${fmt(set.superClusters)} super-clusters, ` +
      `${shape}; ${fmt(QUERIES)} fresh queries drawn the same way. ` +
      `Mean cosine of the exact 1st / 10th neighbour: ${(s1 / shapeQ).toFixed(3)} / ${(s10 / shapeQ).toFixed(3)}. ` +
      `Raw vector bytes N × ${DIM} × 4 = ${mib(raw)}. Generation took ${secs(genSec)}. Time box ${MAX_MINUTES} min.`,
  );
  lines.push('');
  lines.push(
    `Ground truth: ${gt.source}. Recall@10 = |HNSW top-10 ∩ exact top-10| / 10, averaged over ${fmt(gt.count)} queries. Latency is per single-threaded query, measured around each call (hnswlib-node queries pre-converted to plain arrays; usearch searched with 1 thread); 50 warm-up queries per setting.`,
  );
  lines.push('');
  lines.push('| Exact scan (plain JS, inner product, 1 thread) | queries | p50 ms | p99 ms | q/s |');
  lines.push('|---|---:|---:|---:|---:|');
  lines.push(`| full scan of ${fmt(n)} | ${fmt(gt.jsQueries)} | ${ms(gt.jsLatency.p50, 2)} | ${ms(gt.jsLatency.p99, 2)} | ${gt.jsLatency.qps.toFixed(1)} |`);
  lines.push('');
  lines.push('| Index build | parameters | inserted | build time | inserts/s | RSS delta | index file | file / raw | RSS / raw |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const b of builds) {
    const time = b.complete ? secs(b.seconds) : `${secs(b.seconds)} (stopped; full build projected ${b.estimateSeconds ? secs(b.estimateSeconds) : '?'})`;
    const file = Number.isFinite(b.fileBytes) ? mib(b.fileBytes) : '—';
    const fileRatio = Number.isFinite(b.fileBytes) ? `${(b.fileBytes / raw).toFixed(2)}×` : '—';
    const rssRatio = b.complete ? `${(b.rssDelta / raw).toFixed(2)}×` : '—';
    lines.push(
      `| ${b.lib} | ${b.params} | ${fmt(b.inserted)} | ${time} | ${fmt(Math.round(b.inserted / b.seconds))} | ${mib(b.rssDelta)} | ${file} | ${fileRatio} | ${rssRatio} |`,
    );
  }
  if (!usearch) lines.push(`\nusearch was not loaded: ${usearchError}`);
  lines.push('');
  if (sweep.length) {
    lines.push('| Library | ef | recall@10 | p50 ms | p99 ms | mean ms | q/s (1 thread) |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of sweep)
      lines.push(`| ${r.lib} | ${r.ef} | ${r.recall.toFixed(4)} | ${ms(r.lat.p50)} | ${ms(r.lat.p99)} | ${ms(r.lat.mean)} | ${fmt(Math.round(r.lat.qps))} |`);
    lines.push('');
  }
  lines.push(
    `Filtered search: a random ${(FILTER_FRACTION * 100).toFixed(0)} % label subset (${fmt(subsetSize)} of ${fmt(n)}) as the filter; exact filtered top-10 from a scan of the subset. usearch's JS binding has no filter predicate.`,
  );
  lines.push('');
  lines.push('| Filtered top-10 | ef | queries with < 10 hits | recall@10 vs exact filtered | p50 ms | p99 ms | q/s |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const f of filtered)
    lines.push(
      `| ${f.method} | ${f.ef ?? '—'} | ${f.short} / ${fmt(f.queries)} | ${f.recall.toFixed(4)} | ${ms(f.lat.p50)} | ${ms(f.lat.p99)} | ${fmt(Math.round(f.lat.qps))} |`,
    );
  lines.push('');
  lines.push(`Targets at this size: recall@10 ≥ ${target.recall} with p50 ≤ ${target.p50} ms; index memory ≤ 1.5× raw vector bytes.`);
  lines.push('');
  for (const b of builds) {
    const rows = sweep.filter((r) => r.lib === b.lib);
    if (!b.complete) {
      lines.push(`- ${b.lib}: not measured — build ${b.note}.`);
      continue;
    }
    const best = rows.find((r) => r.recall >= target.recall && r.lat.p50 <= target.p50);
    const lowestEf = rows.find((r) => r.recall >= target.recall);
    const mem = Math.max(b.fileBytes, b.rssDelta) / raw;
    const speed = best
      ? `met at ef ${best.ef} (recall ${best.recall.toFixed(4)}, p50 ${ms(best.lat.p50)} ms)`
      : lowestEf
        ? `not met: recall ${target.recall} first reached at ef ${lowestEf.ef} with p50 ${ms(lowestEf.lat.p50)} ms`
        : `not met: best recall ${Math.max(...rows.map((r) => r.recall)).toFixed(4)}`;
    lines.push(`- ${b.lib}: recall/latency ${speed}; memory ${mem <= 1.5 ? 'met' : 'not met'} (max(file, RSS delta) = ${mem.toFixed(2)}× raw).`);
  }
  const markdown = lines.join('\n');
  // A run restricted with BENCH_LIBS gets its own section, so it does not replace the full comparison.
  const only = LIBS.includes('hnswlib') && LIBS.includes('usearch') ? '' : `-${LIBS.join('-')}`;
  writeSection(`search-${n}${VECTORS === 'isotropic' ? '-isotropic' : ''}${only}`, markdown);
  process.stdout.write(`\n${markdown}\n\n`);
  return markdown;
}

async function main(): Promise<void> {
  log(
    `search bench: N = ${SIZES.join(', ')}, ${QUERIES} queries, time box ${MAX_MINUTES} min per N, usearch ${usearch ? 'loaded' : `unavailable (${usearchError})`}`,
  );
  for (const n of SIZES) {
    await benchOne(n);
    gc();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
