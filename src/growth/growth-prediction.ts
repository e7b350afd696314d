import { RECIST_CATEGORIES, RecistCategory, recistCategory } from './recist';

/** One observed change of a lesion between consecutive points of its track. */
export interface GrowthStep {
  /** ln(long axis after / long axis before). */
  logRatio: number;
  /** Interval in days; null when unknown (studies without dates). */
  days: number | null;
}

/** Steps from one source (a neighbour's track, or a whole type) and its weight. */
export interface WeightedSteps {
  weight: number;
  steps: GrowthStep[];
}

export interface GrowthPrediction {
  longAxisMm: number;
  /** 10th and 90th weighted percentiles: an 80 % interval. */
  interval80: [number, number];
  recistProbabilities: Record<RecistCategory, number>;
  /** Steps rescaled to the horizon (interval known), and steps used as they were (interval unknown). */
  scaledSteps: number;
  unscaledSteps: number;
}

// A step's change is extrapolated to the horizon at most this many times over, and a predicted change
// is kept within ×1/8..×8: one short interval must not make a lesion vanish or explode.
const MAX_STRETCH = 4;
const MAX_LOG_CHANGE = Math.log(8);
/** Below this the lesion is taken to have disappeared (RECIST CR). */
export const VANISHED_MM = 1;

/**
 * The long axis after `horizonDays` (null: at the next follow-up, interval unknown) for a lesion with
 * this history (long axes in mm, oldest first, the last is now), from weighted observed steps: each
 * step's log change, rescaled to the horizon when both intervals are known (exponential growth),
 * gives one candidate; the weighted median is the prediction, the 10th–90th percentiles the interval,
 * and the category of each candidate against the history's baseline and nadir the probabilities.
 * The baselines use the same path: "no change" is one step of 0, "type median" every step of the type.
 */
export function predictLongAxis(historyMm: readonly number[], sources: readonly WeightedSteps[], horizonDays: number | null): GrowthPrediction | null {
  const current = historyMm[historyMm.length - 1];
  if (!(current > 0)) return null;
  const baseline = historyMm[0];
  const nadir = Math.min(...historyMm);
  const candidates: { mm: number; weight: number }[] = [];
  let scaledSteps = 0;
  let unscaledSteps = 0;
  for (const source of sources) {
    if (!(source.weight > 0) || source.steps.length === 0) continue;
    const share = source.weight / source.steps.length;
    for (const step of source.steps) {
      let change = step.logRatio;
      if (horizonDays !== null && step.days !== null && step.days > 0) {
        change *= Math.min(horizonDays / step.days, MAX_STRETCH);
        scaledSteps++;
      } else unscaledSteps++;
      change = Math.max(-MAX_LOG_CHANGE, Math.min(MAX_LOG_CHANGE, change));
      candidates.push({ mm: current * Math.exp(change), weight: share });
    }
  }
  if (!candidates.length) return null;
  const probabilities = Object.fromEntries(RECIST_CATEGORIES.map((c) => [c, 0])) as Record<RecistCategory, number>;
  const total = candidates.reduce((s, c) => s + c.weight, 0);
  for (const c of candidates) probabilities[recistCategory(baseline, nadir, c.mm < VANISHED_MM ? 0 : c.mm)] += c.weight / total;
  return {
    longAxisMm: weightedQuantile(candidates, 0.5),
    interval80: [weightedQuantile(candidates, 0.1), weightedQuantile(candidates, 0.9)],
    recistProbabilities: probabilities,
    scaledSteps,
    unscaledSteps,
  };
}

/** Weighted quantile, interpolating between the midpoints of each candidate's weight. */
export function weightedQuantile(values: readonly { mm: number; weight: number }[], q: number): number {
  const sorted = [...values].filter((v) => v.weight > 0).sort((a, b) => a.mm - b.mm);
  if (sorted.length === 1) return sorted[0].mm;
  const total = sorted.reduce((s, v) => s + v.weight, 0);
  let cumulative = 0;
  const mids = sorted.map((v) => {
    const mid = (cumulative + v.weight / 2) / total;
    cumulative += v.weight;
    return mid;
  });
  if (q <= mids[0]) return sorted[0].mm;
  for (let i = 1; i < sorted.length; i++) {
    if (q <= mids[i]) return sorted[i - 1].mm + ((q - mids[i - 1]) / (mids[i] - mids[i - 1])) * (sorted[i].mm - sorted[i - 1].mm);
  }
  return sorted[sorted.length - 1].mm;
}

/**
 * How much a neighbour's track counts: appearance similarity (cosine, sharpened), halved for another
 * coarse type, and falling with the size difference (|ln ratio| of long axes).
 */
export function neighbourWeight(similarity: number, sameType: boolean | null, sizeRatio: number | null): number {
  const appearance = Math.max(0, similarity) ** 4;
  const type = sameType === false ? 0.5 : 1;
  const size = sizeRatio && sizeRatio > 0 ? Math.exp(-Math.abs(Math.log(sizeRatio))) : 1;
  return appearance * type * size;
}

/** Steps between consecutive points of a track (long axes in mm, days per point or nulls). */
export function stepsOf(longAxesMm: readonly number[], days: readonly (number | null)[]): GrowthStep[] {
  const steps: GrowthStep[] = [];
  for (let i = 1; i < longAxesMm.length; i++) {
    if (!(longAxesMm[i] > 0) || !(longAxesMm[i - 1] > 0)) continue;
    const d = days[i] !== null && days[i - 1] !== null ? days[i]! - days[i - 1]! : null;
    steps.push({ logRatio: Math.log(longAxesMm[i] / longAxesMm[i - 1]), days: d });
  }
  return steps;
}
