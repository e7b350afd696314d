import { Prng } from '../sample/prng';

const { floor, sqrt } = Math;

export interface RetrievalItem {
  vector: Float32Array;
  /** The class a retrieved item must share to count as relevant (e.g. coarse lesion type). */
  label: number;
  /** Items of the same group (patient) are never retrieved for each other. */
  group: number;
}

export interface RetrievalMetrics {
  /** Queries with at least one relevant item in their gallery; the means below are over these. */
  queries: number;
  precisionAt1: number;
  precisionAt5: number;
  meanAveragePrecision: number;
  /** Share of queries whose k-nearest-neighbour majority label is their own. */
  knnAccuracy: number;
}

/** One answerable query's results. */
export interface QueryResult {
  /** Index of the query in the input. */
  index: number;
  group: number;
  label: number;
  /** 1 when the first retrieved item is relevant, else 0. */
  precisionAt1: number;
  precisionAt5: number;
  averagePrecision: number;
  /** 1 when the kNN majority label is the query's own, else 0. */
  knnHit: number;
}

/**
 * Cross-group retrieval: every item queries the items of the other groups, ranked by cosine
 * similarity (ties keep input order); relevant = same label. Queries without any relevant item
 * are left out. kNN (k = 5 by default) takes the majority label of the top k; a tie goes to the
 * tied label ranked first.
 */
export function retrievalPerQuery(items: RetrievalItem[], options: { k?: number } = {}): QueryResult[] {
  const k = options.k ?? 5;
  const unit = items.map((item) => normalised(item.vector));
  const results: QueryResult[] = [];
  for (let q = 0; q < items.length; q++) {
    const gallery: number[] = [];
    for (let i = 0; i < items.length; i++) if (items[i].group !== items[q].group) gallery.push(i);
    const similarity = new Float64Array(items.length);
    for (const i of gallery) similarity[i] = dot(unit[q], unit[i]);
    // Array.prototype.sort is stable, so equal similarities keep input order.
    const ranked = gallery.sort((a, b) => similarity[b] - similarity[a]);
    const relevant = ranked.map((i) => items[i].label === items[q].label);
    if (!relevant.some(Boolean)) continue;
    const top5 = relevant.slice(0, 5);
    results.push({
      index: q,
      group: items[q].group,
      label: items[q].label,
      precisionAt1: relevant[0] ? 1 : 0,
      precisionAt5: top5.filter(Boolean).length / top5.length,
      averagePrecision: averagePrecision(relevant),
      knnHit: majorityLabel(ranked.slice(0, k).map((i) => items[i].label)) === items[q].label ? 1 : 0,
    });
  }
  return results;
}

/** Means of `retrievalPerQuery` over the answerable queries (NaN when there are none). */
export function evaluateRetrieval(items: RetrievalItem[], options: { k?: number } = {}): RetrievalMetrics {
  return summariseQueries(retrievalPerQuery(items, options));
}

export function summariseQueries(results: QueryResult[]): RetrievalMetrics {
  const mean = (pick: (r: QueryResult) => number) => results.reduce((s, r) => s + pick(r), 0) / results.length;
  return {
    queries: results.length,
    precisionAt1: mean((r) => r.precisionAt1),
    precisionAt5: mean((r) => r.precisionAt5),
    meanAveragePrecision: mean((r) => r.averagePrecision),
    knnAccuracy: mean((r) => r.knnHit),
  };
}

/** Mean over the relevant ranks r (1-based) of (relevant items up to r) / r. */
export function averagePrecision(relevant: boolean[]): number {
  let hits = 0;
  let sum = 0;
  relevant.forEach((isRelevant, rank) => {
    if (!isRelevant) return;
    hits++;
    sum += hits / (rank + 1);
  });
  return hits ? sum / hits : NaN;
}

/** The most frequent label; among tied labels, the one that appears first. */
export function majorityLabel(ranked: number[]): number {
  const counts = new Map<number, number>();
  for (const label of ranked) counts.set(label, (counts.get(label) ?? 0) + 1);
  const best = Math.max(...counts.values());
  return ranked.find((label) => counts.get(label) === best)!;
}

export interface BootstrapOptions {
  rounds: number;
  seed: number;
  /** Two-sided coverage of the interval (0.95 by default). */
  level?: number;
}

/**
 * Percentile bootstrap over groups (patients): each round draws as many groups as there are, with
 * replacement, and evaluates `metric` on all items of the drawn groups (a group drawn twice appears
 * twice, keeping its group id). Rounds whose metric is not finite are skipped. Percentiles
 * interpolate linearly, as numpy's default.
 *
 * For retrieval, pass the per-query results of the full set (`retrievalPerQuery`) with a mean as
 * the metric: the gallery stays fixed and the patients' queries are resampled (the prototype
 * study's patient-cluster intervals). Passing RetrievalItems with `evaluateRetrieval` instead
 * also resamples the gallery, which gives wider intervals.
 */
export function bootstrapOverGroups<T extends { group: number }>(
  items: T[],
  metric: (sample: T[]) => number,
  options: BootstrapOptions,
): { low: number; high: number } {
  const byGroup = new Map<number, T[]>();
  for (const item of items) {
    const list = byGroup.get(item.group) ?? [];
    list.push(item);
    byGroup.set(item.group, list);
  }
  const groups = [...byGroup.values()];
  const rng = new Prng(options.seed);
  const values: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const sample: T[] = [];
    for (let g = 0; g < groups.length; g++) sample.push(...groups[floor(rng.next() * groups.length)]);
    const value = metric(sample);
    if (Number.isFinite(value)) values.push(value);
  }
  values.sort((a, b) => a - b);
  const tail = (1 - (options.level ?? 0.95)) / 2;
  return { low: percentile(values, tail), high: percentile(values, 1 - tail) };
}

/** Linear-interpolated quantile q ∈ [0, 1] of sorted values. */
export function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const position = q * (sorted.length - 1);
  const lower = floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

function normalised(v: Float32Array): Float64Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const scale = 1 / Math.max(sqrt(s), 1e-12);
  return Float64Array.from(v, (x) => x * scale);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Chance level of the same protocol: P@1 = P@5 = the relevant share of each answerable query's
 * gallery; mAP and kNN from `rounds` random rankings per query (drawn for every query, answerable or
 * not, so the random stream does not depend on the labels).
 */
export function chanceRetrieval(items: Omit<RetrievalItem, 'vector'>[], options: { rounds?: number; seed?: number; k?: number } = {}): RetrievalMetrics {
  const rounds = options.rounds ?? 2000;
  const k = options.k ?? 5;
  const rng = new Prng(options.seed ?? 0);
  let queries = 0;
  let precision = 0;
  let ap = 0;
  let knn = 0;
  for (const query of items) {
    const gallery = items.filter((other) => other.group !== query.group).map((other) => other.label);
    const relevantShare = gallery.filter((label) => label === query.label).length / gallery.length;
    let apSum = 0;
    let knnHits = 0;
    for (let r = 0; r < rounds; r++) {
      const ranked = shuffled(gallery, rng);
      if (relevantShare > 0) apSum += averagePrecision(ranked.map((label) => label === query.label));
      knnHits += majorityLabel(ranked.slice(0, k)) === query.label ? 1 : 0;
    }
    if (relevantShare === 0) continue;
    queries++;
    precision += relevantShare;
    ap += apSum / rounds;
    knn += knnHits / rounds;
  }
  return { queries, precisionAt1: precision / queries, precisionAt5: precision / queries, meanAveragePrecision: ap / queries, knnAccuracy: knn / queries };
}

/** Fisher–Yates shuffle into a new array. */
function shuffled<T>(values: T[], rng: Prng): T[] {
  const out = values.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
