import { comparePairedQueries, PairedComparison } from './projection-eval';
import { RetrievalItem, retrievalPerQuery } from './retrieval-metrics';

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
  return { lesions: both.length, patients: new Set(both.map((l) => l.group)).size, leftOut: lesions.length - both.length, ...comparePairedQueries(a, b, bootstrap) };
}

/** Markdown: model A, model B and B − A with 95 % intervals. */
export function formatModelComparison(c: ModelComparison, about: { set: string; models: [string, string]; rounds: number }): string {
  const f = (x: number) => x.toFixed(3);
  const iv = (i: { low: number; high: number }) => `[${f(i.low)}, ${f(i.high)}]`;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${f(x)}`;
  const [a, b] = about.models;
  return [
    `Set: ${about.set}: ${c.lesions} typed lesions of ${c.patients} patients embedded by both models` +
      `${c.leftOut ? ` (${c.leftOut} left out: one model failed on them)` : ''}; ${c.before.queries} queries with a same-type lesion of another patient.`,
    '',
    '| model | mAP | P@1 |',
    '|---|---|---|',
    `| A: ${a} | ${f(c.before.meanAveragePrecision)} ${iv(c.intervals.before.meanAveragePrecision)} | ${f(c.before.precisionAt1)} ${iv(c.intervals.before.precisionAt1)} |`,
    `| B: ${b} | ${f(c.after.meanAveragePrecision)} ${iv(c.intervals.after.meanAveragePrecision)} | ${f(c.after.precisionAt1)} ${iv(c.intervals.after.precisionAt1)} |`,
    `| B − A (paired) | ${signed(c.difference.meanAveragePrecision.value)} ${iv(c.difference.meanAveragePrecision)} | ${signed(c.difference.precisionAt1.value)} ${iv(c.difference.precisionAt1)} |`,
    '',
    `Intervals: 95 % percentile bootstrap over patients (${about.rounds} resamples; the difference is resampled in pairs).`,
  ].join('\n');
}
