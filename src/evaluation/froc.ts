import { Box } from '../imaging/hu-image';
import { centreInside, intersectionOverUnion } from '../detection-core/box-math';

export type HitCriterion = 'iou' | 'centre';

/** DeepLesion's operating points: false positives per image. */
export const FROC_FP_RATES = [0.5, 1, 2, 4, 8, 16] as const;

export interface FrocImage {
  detections: { box: Box; score: number }[];
  truths: Box[];
}

export interface FrocResult {
  fpRates: number[];
  sensitivities: number[];
  /** The score of the last detection counted at each rate: the threshold of that operating point (null: none counted). */
  thresholds: (number | null)[];
  /** Fraction of true boxes hit by any detection (all scores). */
  recall: number;
  images: number;
  lesions: number;
  detections: number;
}

export function isHit(detection: Box, truth: Box, criterion: HitCriterion, iouThreshold = 0.5): boolean {
  return criterion === 'centre' ? centreInside(detection, truth) : intersectionOverUnion(detection, truth) >= iouThreshold;
}

/**
 * The pooled ranking both FROC views read: every detection ranked by score (stable), each true box's
 * best rank among the detections hitting it (Infinity: none does), and the cumulative false positives
 * per image after each rank. A detection that hits any true box is never a false positive.
 */
function rankDetections(images: readonly FrocImage[], criterion: HitCriterion, iouThreshold: number) {
  const all: { score: number; image: number; index: number; tp: boolean }[] = [];
  images.forEach((img, image) =>
    img.detections.forEach((d, index) => all.push({ score: d.score, image, index, tp: img.truths.some((t) => isHit(d.box, t, criterion, iouThreshold)) })),
  );
  const order = all.map((_, i) => i).sort((a, b) => all[b].score - all[a].score || a - b);
  const rankOf = new Map<string, number>();
  order.forEach((k, rank) => rankOf.set(`${all[k].image}:${all[k].index}`, rank));
  const firstHit: number[] = [];
  images.forEach((img, image) =>
    img.truths.forEach((t) => {
      let best = Infinity;
      img.detections.forEach((d, index) => {
        if (isHit(d.box, t, criterion, iouThreshold)) best = Math.min(best, rankOf.get(`${image}:${index}`)!);
      });
      firstHit.push(best);
    }),
  );
  const fpPerImage: number[] = [];
  let fps = 0;
  for (const k of order) {
    if (!all[k].tp) fps++;
    fpPerImage.push(fps / Math.max(1, images.length));
  }
  // At each rate t, the number of leading ranks whose cumulative FP rate is ≤ t (searchsorted right).
  const cutAt = (t: number) => {
    let cut = 0;
    while (cut < fpPerImage.length && fpPerImage[cut] <= t) cut++;
    return cut;
  };
  return { all, order, firstHit, cutAt };
}

/**
 * Free-response ROC in DeepLesion's convention: one score threshold pooled over all images. Detections
 * are ranked by score (stable); a detection that hits any true box is never a false positive. The
 * sensitivity at t FPs per image is the fraction of true boxes hit by a detection ranked before the
 * one at which the false positives first exceed t × images (all detections when they never do).
 */
export function froc(images: readonly FrocImage[], criterion: HitCriterion, fpRates: readonly number[] = FROC_FP_RATES, iouThreshold = 0.5): FrocResult {
  const { all, order, firstHit, cutAt } = rankDetections(images, criterion, iouThreshold);
  const lesions = firstHit.length;
  const cuts = fpRates.map(cutAt);
  const sensitivities = cuts.map((cut) => (lesions ? firstHit.filter((r) => r < cut).length / lesions : 0));
  const thresholds = cuts.map((cut) => (cut > 0 ? all[order[cut - 1]].score : null));
  return {
    fpRates: [...fpRates],
    sensitivities,
    thresholds,
    recall: lesions ? firstHit.filter((r) => Number.isFinite(r)).length / lesions : 0,
    images: images.length,
    lesions,
    detections: all.length,
  };
}

/**
 * Per true box, whether it is hit at each FP rate under the same pooled threshold as `froc` (truths in
 * image order, then box order): for sensitivities of subsets of the lesions (e.g. per coarse type)
 * at the operating points of the whole set.
 */
export function frocLesionHits(
  images: readonly FrocImage[],
  criterion: HitCriterion,
  fpRates: readonly number[] = FROC_FP_RATES,
  iouThreshold = 0.5,
): boolean[][] {
  const { firstHit, cutAt } = rankDetections(images, criterion, iouThreshold);
  return fpRates.map((t) => {
    const cut = cutAt(t);
    return firstHit.map((r) => r < cut);
  });
}
