/**
 * Tag prediction from labelled nearest neighbours, and the per-term metrics that calibrate and
 * evaluate it. Pure.
 */

export interface Neighbour {
  lesionId: number;
  similarity: number;
}

// Votes weigh exp((similarity - 1) / τ): a neighbour 0.05 less similar counts e⁻¹ as much, so
// near-duplicates dominate while a spread-out neighbourhood still averages.
const VOTE_TEMPERATURE = 0.05;

/**
 * Per term, the similarity-weighted share of the k nearest neighbours labelled for that term that
 * carry it. `labelledFor(lesion, term)` says whether the neighbour's labels speak about the term at
 * all (a lesion with only a coarse type says nothing about "calcified"). Terms with fewer than
 * `minNeighbours` informative neighbours get no score.
 */
export function neighbourVotes(
  neighbours: readonly Neighbour[],
  terms: readonly number[],
  hasTerm: (lesionId: number, term: number) => boolean,
  labelledFor: (lesionId: number, term: number) => boolean,
  k: number,
  minNeighbours = 3,
): Map<number, number> {
  const scores = new Map<number, number>();
  for (const term of terms) {
    let weight = 0;
    let positive = 0;
    let used = 0;
    for (const n of neighbours) {
      if (used >= k) break;
      if (!labelledFor(n.lesionId, term)) continue;
      used++;
      const w = Math.exp((n.similarity - 1) / VOTE_TEMPERATURE);
      weight += w;
      if (hasTerm(n.lesionId, term)) positive += w;
    }
    if (used >= minNeighbours && weight > 0) scores.set(term, positive / weight);
  }
  return scores;
}

/** Area under the ROC curve (Mann–Whitney, ties counted half); NaN without both classes. */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number {
  const order = scores.map((s, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPositive = 0;
  let positives = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (labels[order[t]]) {
        rankSumPositive += averageRank;
        positives++;
      }
    }
    i = j + 1;
  }
  const negatives = labels.length - positives;
  if (!positives || !negatives) return NaN;
  return (rankSumPositive - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface ThresholdMetrics {
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Precision, recall and F1 of "score ≥ threshold". */
export function metricsAt(scores: readonly number[], labels: readonly boolean[], threshold: number): ThresholdMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  scores.forEach((s, i) => {
    if (s >= threshold) labels[i] ? tp++ : fp++;
    else if (labels[i]) fn++;
  });
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { threshold, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

/**
 * The threshold with the best F1 on a calibration set (LesaNet picks per-term thresholds the same
 * way); among equal F1 the higher threshold, which predicts fewer tags. `fallback` when the set has
 * no positive example.
 */
export function calibrateThreshold(scores: readonly number[], labels: readonly boolean[], fallback = 0.5): ThresholdMetrics {
  if (!labels.some(Boolean)) return { ...metricsAt(scores, labels, fallback), threshold: fallback };
  const candidates = [...new Set(scores)].filter((s) => s > 0).sort((a, b) => b - a);
  let best: ThresholdMetrics | null = null;
  for (const threshold of candidates) {
    const m = metricsAt(scores, labels, threshold);
    if (!best || m.f1 > best.f1 + 1e-12) best = m;
  }
  return best ?? { ...metricsAt(scores, labels, fallback), threshold: fallback };
}

/**
 * Of mutually exclusive terms that both pass, only the higher-scoring one is kept (ties: the one
 * first in `order`).
 */
export function resolveExclusive<T>(passing: Map<T, number>, exclusive: (a: T) => Iterable<T>): Map<T, number> {
  const kept = new Map<T, number>();
  const byScore = [...passing.entries()].sort((a, b) => b[1] - a[1]);
  for (const [term, score] of byScore) {
    let blocked = false;
    for (const other of exclusive(term)) if (kept.has(other)) blocked = true;
    if (!blocked) kept.set(term, score);
  }
  return kept;
}
