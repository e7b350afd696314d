import { bootstrapOverGroups, QueryResult, RetrievalItem, RetrievalMetrics, retrievalPerQuery, summariseQueries } from './retrieval-metrics';

/** Two rankings of the same queries: each side's metrics and the paired difference after − before. */
export interface PairedComparison {
  before: RetrievalMetrics;
  after: RetrievalMetrics;
  /** 95 % paired bootstrap over patients of after − before. */
  difference: { meanAveragePrecision: Interval & { value: number }; precisionAt1: Interval & { value: number } };
  intervals: { before: { meanAveragePrecision: Interval; precisionAt1: Interval }; after: { meanAveragePrecision: Interval; precisionAt1: Interval } };
}

export interface ProjectionEvaluation extends PairedComparison {
  folds: number;
}

interface Interval {
  low: number;
  high: number;
}

/**
 * Leave-one-patient-out: for each patient, a map is fitted on the other patients' lesions only, every
 * lesion is mapped with it, and that patient's queries are ranked against the other patients' lesions
 * (as `retrievalPerQuery` ranks). "Before" ranks the unmapped descriptors. Queries are paired, so the
 * bootstrap over patients gives an interval for the difference itself.
 */
export function leaveOnePatientOut<T extends RetrievalItem>(
  items: readonly T[],
  fit: (training: T[]) => (vector: Float32Array) => Float32Array,
  bootstrap: { rounds: number; seed: number } = { rounds: 1000, seed: 1 },
): ProjectionEvaluation {
  const before = retrievalPerQuery([...items]);
  const afterByIndex = new Map<number, QueryResult>();
  const groups = [...new Set(items.map((i) => i.group))];
  for (const group of groups) {
    const map = fit(items.filter((i) => i.group !== group));
    const mapped = items.map((i) => ({ ...i, vector: map(i.vector) }));
    for (const result of retrievalPerQuery(mapped)) if (result.group === group) afterByIndex.set(result.index, result);
  }
  return {
    folds: groups.length,
    ...comparePairedQueries(
      before,
      before.map((b) => afterByIndex.get(b.index)!),
      bootstrap,
    ),
  };
}

/**
 * The same queries ranked two ways (before[i] and after[i] are one query): metrics of each side and the 95 %
 * paired bootstrap over patients of after − before (a patient's queries are resampled together, on both sides).
 */
export function comparePairedQueries(
  before: readonly QueryResult[],
  after: readonly QueryResult[],
  bootstrap: { rounds: number; seed: number },
): PairedComparison {
  if (before.length !== after.length) throw new Error(`${before.length} queries before, ${after.length} after: the comparison needs the same queries`);
  const pairs = before.map((b, i) => ({ group: b.group, before: b, after: after[i] }));
  type Pair = (typeof pairs)[number];
  const mean = (list: readonly Pair[], side: 'before' | 'after', pick: (r: QueryResult) => number) => list.reduce((s, p) => s + pick(p[side]), 0) / list.length;
  const ap = (r: QueryResult) => r.averagePrecision;
  const p1 = (r: QueryResult) => r.precisionAt1;
  // after − before of one metric, over all pairs and over each bootstrap sample of them.
  const gain = (list: readonly Pair[], pick: (r: QueryResult) => number) => mean(list, 'after', pick) - mean(list, 'before', pick);
  const diff = (pick: (r: QueryResult) => number) => ({ value: gain(pairs, pick), ...bootstrapOverGroups(pairs, (s) => gain(s, pick), bootstrap) });
  const interval = (side: 'before' | 'after', pick: (r: QueryResult) => number) => bootstrapOverGroups(pairs, (s) => mean(s, side, pick), bootstrap);
  return {
    before: summariseQueries(pairs.map((p) => p.before)),
    after: summariseQueries(pairs.map((p) => p.after)),
    difference: { meanAveragePrecision: diff(ap), precisionAt1: diff(p1) },
    intervals: {
      before: { meanAveragePrecision: interval('before', ap), precisionAt1: interval('before', p1) },
      after: { meanAveragePrecision: interval('after', ap), precisionAt1: interval('after', p1) },
    },
  };
}

/** Markdown: the before/after table with intervals, and what was fitted on what. */
export function formatProjectionEvaluation(
  e: ProjectionEvaluation,
  about: { set: string; lesions: number; patients: number; classes: number; encoder: string; method: string; rounds: number },
): string {
  const f = (x: number) => x.toFixed(3);
  const iv = (i: Interval) => `[${f(i.low)}, ${f(i.high)}]`;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${f(x)}`;
  return [
    `Set: ${about.set}: ${about.lesions} typed lesions of ${about.patients} patients, ${about.classes} coarse types; ${e.before.queries} queries with a same-type lesion of another patient.`,
    `Encoder: ${about.encoder}; projection: ${about.method}, fitted ${e.folds} times, each time without the query's patient (leave-one-patient-out).`,
    '',
    '| descriptor | mAP | P@1 |',
    '|---|---|---|',
    `| weight-free encoder | ${f(e.before.meanAveragePrecision)} ${iv(e.intervals.before.meanAveragePrecision)} | ${f(e.before.precisionAt1)} ${iv(e.intervals.before.precisionAt1)} |`,
    `| + fitted projection | ${f(e.after.meanAveragePrecision)} ${iv(e.intervals.after.meanAveragePrecision)} | ${f(e.after.precisionAt1)} ${iv(e.intervals.after.precisionAt1)} |`,
    `| difference (paired) | ${signed(e.difference.meanAveragePrecision.value)} ${iv(e.difference.meanAveragePrecision)} | ${signed(e.difference.precisionAt1.value)} ${iv(e.difference.precisionAt1)} |`,
    '',
    `Intervals: 95 % percentile bootstrap over patients (${about.rounds} resamples of the patients' queries; the difference is resampled in pairs).`,
  ].join('\n');
}
