import { bootstrapOverGroups } from '../evaluation/retrieval-metrics';
import { GrowthPrediction } from './growth-prediction';
import { RECIST_CATEGORIES, RecistCategory } from './recist';

/** One held-out last point of a track and what a method predicted for it. */
export interface HeldOutCase {
  /** Patient (the bootstrap resamples patients). */
  group: number;
  actualMm: number;
  actualCategory: RecistCategory;
  prediction: GrowthPrediction | null;
}

export interface GrowthMetrics {
  cases: number;
  /** Cases the method gave an answer for (the others count as misses in no metric). */
  answered: number;
  maeMm: number;
  coverage80: number;
  recistAccuracy: number;
  recistMacroF1: number;
}

export type Interval = { low: number; high: number };

export function mostLikelyCategory(p: GrowthPrediction): RecistCategory {
  return RECIST_CATEGORIES.reduce((best, c) => (p.recistProbabilities[c] > p.recistProbabilities[best] ? c : best), RECIST_CATEGORIES[0]);
}

/** Macro-F1 over the categories that occur in the truth or the predictions. */
export function macroF1(truth: readonly RecistCategory[], predicted: readonly RecistCategory[]): number {
  const present = RECIST_CATEGORIES.filter((c) => truth.includes(c) || predicted.includes(c));
  if (!present.length) return NaN;
  const f1s = present.map((c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    truth.forEach((t, i) => {
      if (predicted[i] === c && t === c) tp++;
      else if (predicted[i] === c) fp++;
      else if (t === c) fn++;
    });
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  return f1s.reduce((a, b) => a + b, 0) / f1s.length;
}

export function growthMetrics(cases: readonly HeldOutCase[]): GrowthMetrics {
  const answered = cases.filter((c) => c.prediction !== null);
  const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);
  return {
    cases: cases.length,
    answered: answered.length,
    maeMm: mean(answered.map((c) => Math.abs(c.prediction!.longAxisMm - c.actualMm))),
    coverage80: mean(answered.map((c) => (c.actualMm >= c.prediction!.interval80[0] - 1e-9 && c.actualMm <= c.prediction!.interval80[1] + 1e-9 ? 1 : 0))),
    recistAccuracy: mean(answered.map((c) => (mostLikelyCategory(c.prediction!) === c.actualCategory ? 1 : 0))),
    recistMacroF1: macroF1(
      answered.map((c) => c.actualCategory),
      answered.map((c) => mostLikelyCategory(c.prediction!)),
    ),
  };
}

/** 95 % patient-bootstrap intervals of every metric. */
export function growthMetricIntervals(
  cases: HeldOutCase[],
  rounds = 1000,
  seed = 1,
): Record<'maeMm' | 'coverage80' | 'recistAccuracy' | 'recistMacroF1', Interval> {
  const of = (key: 'maeMm' | 'coverage80' | 'recistAccuracy' | 'recistMacroF1') =>
    bootstrapOverGroups(cases, (sample) => growthMetrics(sample)[key], { rounds, seed });
  return { maeMm: of('maeMm'), coverage80: of('coverage80'), recistAccuracy: of('recistAccuracy'), recistMacroF1: of('recistMacroF1') };
}
