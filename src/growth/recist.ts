/**
 * RECIST 1.1 response of one target lesion, from its long axis over time (the sum of diameters of a
 * single target lesion is its long axis; lymph-node short-axis rules are not applied: DeepLesion does
 * not say which lesions are nodes).
 */
export type RecistCategory = 'CR' | 'PR' | 'SD' | 'PD';
export const RECIST_CATEGORIES: readonly RecistCategory[] = ['CR', 'PR', 'SD', 'PD'];

/** PD: at least +20 % over the nadir and at least +5 mm absolute. PR: at least −30 % from baseline. */
export const RECIST_PD_RELATIVE = 0.2;
export const RECIST_PD_ABSOLUTE_MM = 5;
export const RECIST_PR_RELATIVE = -0.3;

// Measurements are rounded to about 6 significant digits; an edge case (exactly +20 %) must not fall on the wrong side.
const EPSILON = 1e-9;

/**
 * The category of `currentMm` (0 or null-free: 0 means the lesion disappeared) given the baseline and
 * the nadir (smallest long axis before this time point, baseline included).
 */
export function recistCategory(baselineMm: number, nadirMm: number, currentMm: number): RecistCategory {
  if (currentMm <= 0) return 'CR';
  const growth = currentMm - nadirMm;
  if (growth >= RECIST_PD_ABSOLUTE_MM - EPSILON && growth >= RECIST_PD_RELATIVE * nadirMm - EPSILON) return 'PD';
  if (baselineMm > 0 && currentMm - baselineMm <= RECIST_PR_RELATIVE * baselineMm + EPSILON) return 'PR';
  return 'SD';
}

/** Smallest value of `series` before index `i` (baseline included); the baseline itself at i = 0. */
export function nadirBefore(series: readonly number[], i: number): number {
  if (i <= 0) return series[0];
  let nadir = series[0];
  for (let j = 1; j < i; j++) nadir = Math.min(nadir, series[j]);
  return nadir;
}

/** Percent change of `value` against `reference`; null when the reference is not positive. */
export function percentChange(reference: number, value: number): number | null {
  return reference > 0 ? ((value - reference) / reference) * 100 : null;
}

export interface ResponsePoint {
  percentFromBaseline: number | null;
  percentFromNadir: number | null;
  nadirMm: number;
  /** null at baseline (no response is assessed there). */
  category: RecistCategory | null;
}

/** Change and category at every time point of a long-axis series (the first is the baseline). */
export function responseSeries(longAxesMm: readonly number[]): ResponsePoint[] {
  return longAxesMm.map((value, i) => {
    const nadir = nadirBefore(longAxesMm, i);
    return {
      percentFromBaseline: percentChange(longAxesMm[0], value),
      percentFromNadir: i === 0 ? null : percentChange(nadir, value),
      nadirMm: nadir,
      category: i === 0 ? null : recistCategory(longAxesMm[0], nadir, value),
    };
  });
}
