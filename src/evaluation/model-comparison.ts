import { comparePairedQueries, PairedComparison } from './projection-eval';
import { RetrievalItem, retrievalPerQuery } from './retrieval-metrics';

type Interval = { low: number; high: number };

/** One lesion of the evaluated set as each model describes it (null: that model could not embed it). */
export interface ComparedLesion {
  label: number;
  group: number;
  vectors: [Float32Array | null, Float32Array | null];
}

export interface ModelComparison extends PairedComparison {
  lesions: number;
  patients: number;
  /** Lesions left out because one of the models failed on them. */
  leftOut: number;
}

/**
 * Cross-patient type retrieval (as `eval retrieval` scores it) for two models on the same lesions: only the
 * lesions both embedded, so the queries and their relevant sets are identical and the difference is paired.
 */
export function compareModels(lesions: readonly ComparedLesion[], bootstrap: { rounds: number; seed: number }): ModelComparison {
  const both = lesions.filter((l) => l.vectors[0] && l.vectors[1]);
  const side = (k: 0 | 1): RetrievalItem[] => both.map((l) => ({ label: l.label, group: l.group, vector: l.vectors[k]! }));
  const a = retrievalPerQuery(side(0));
  const b = retrievalPerQuery(side(1));
  // Which lesions query depends on labels and patients only, so both lists hold the same queries in order.
  if (a.some((q, i) => q.index !== b[i]?.index)) throw new Error('the two models were asked different queries');
  const patients = new Set(both.map((l) => l.group)).size;
  return { lesions: both.length, patients, leftOut: lesions.length - both.length, ...comparePairedQueries(a, b, bootstrap) };
}

/** Markdown: model A, model B and B − A with 95 % intervals. */
export function formatModelComparison(c: ModelComparison, about: { set: string; models: [string, string]; rounds: number }): string {
  const f = (x: number) => x.toFixed(3);
  const iv = (i: Interval) => `[${f(i.low)}, ${f(i.high)}]`;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${f(x)}`;
  const [a, b] = about.models;
  const row = (name: string, m: { meanAveragePrecision: number; precisionAt1: number }, i: { meanAveragePrecision: Interval; precisionAt1: Interval }) =>
    `| ${name} | ${f(m.meanAveragePrecision)} ${iv(i.meanAveragePrecision)} | ${f(m.precisionAt1)} ${iv(i.precisionAt1)} |`;
  const d = c.difference;
  return [
    `Set: ${about.set}: ${c.lesions} typed lesions of ${c.patients} patients embedded by both models` +
      `${c.leftOut ? ` (${c.leftOut} left out: one model failed on them)` : ''}; ${c.before.queries} queries with a same-type lesion of another patient.`,
    '',
    '| model | mAP | P@1 |',
    '|---|---|---|',
    row(`A: ${a}`, c.before, c.intervals.before),
    row(`B: ${b}`, c.after, c.intervals.after),
    `| B − A (paired) | ${signed(d.meanAveragePrecision.value)} ${iv(d.meanAveragePrecision)} | ${signed(d.precisionAt1.value)} ${iv(d.precisionAt1)} |`,
    '',
    `Intervals: 95 % percentile bootstrap over patients (${about.rounds} resamples; the difference is resampled in pairs).`,
  ].join('\n');
}
