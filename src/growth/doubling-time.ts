/**
 * Growth between two measurements of a lesion.
 *
 * Volume is approximated from the in-plane diameters: an ellipsoid with axes long × short × short (the
 * unmeasured axis along z taken equal to the short axis), V = π/6 · L · S²; a sphere of the long axis
 * (V = π/6 · L³) when the short axis is unknown. The constant cancels in every ratio below.
 */
export interface Measurement {
  longAxisMm: number;
  shortAxisMm: number | null;
}

export const VOLUME_MODEL = {
  ellipsoid: 'ellipsoid with axes long × short × short (the z axis taken equal to the short axis): V = π/6·L·S²',
  sphere: 'sphere of the long axis: V = π/6·L³',
} as const;

export function approximateVolumeMm3(m: Measurement): { volumeMm3: number; model: keyof typeof VOLUME_MODEL } {
  if (m.shortAxisMm !== null && m.shortAxisMm > 0) return { volumeMm3: (Math.PI / 6) * m.longAxisMm * m.shortAxisMm ** 2, model: 'ellipsoid' };
  return { volumeMm3: (Math.PI / 6) * m.longAxisMm ** 3, model: 'sphere' };
}

/** Long-axis growth: mm per 30 days and exponential rate per year; null without a positive interval or size. */
export function growthRate(before: number, after: number, days: number): { mmPer30Days: number; logPerYear: number } | null {
  if (!(days > 0) || !(before > 0) || !(after > 0)) return null;
  return { mmPer30Days: ((after - before) / days) * 30, logPerYear: (Math.log(after / before) / days) * 365.25 };
}

/**
 * Volume doubling time in days, VDT = Δt · ln 2 / ln(V2 / V1), for a lesion that grew; null when it did
 * not grow, the interval is unknown, or a measurement is missing. Both points use the same volume model
 * (the ellipsoid only when both have a short axis), so the model cannot masquerade as growth.
 */
export function volumeDoublingTimeDays(before: Measurement, after: Measurement, days: number): { days: number; model: keyof typeof VOLUME_MODEL } | null {
  if (!(days > 0) || !(before.longAxisMm > 0) || !(after.longAxisMm > 0)) return null;
  const both = before.shortAxisMm !== null && after.shortAxisMm !== null && before.shortAxisMm > 0 && after.shortAxisMm > 0;
  const v1 = approximateVolumeMm3(both ? before : { ...before, shortAxisMm: null });
  const v2 = approximateVolumeMm3(both ? after : { ...after, shortAxisMm: null });
  if (!(v2.volumeMm3 > v1.volumeMm3)) return null;
  return { days: (days * Math.LN2) / Math.log(v2.volumeMm3 / v1.volumeMm3), model: v1.model };
}
