import { growthRate, Measurement, VOLUME_MODEL, volumeDoublingTimeDays } from './doubling-time';
import { RecistCategory, responseSeries } from './recist';
import { TrackTime } from './time-axis';

export interface TrackSummaryPoint extends Measurement {
  percentFromBaseline: number | null;
  percentFromNadir: number | null;
  nadirMm: number;
  recist: RecistCategory | null;
}

export interface TrackChange {
  points: TrackSummaryPoint[];
  /** Category at the last point (null for a single point). */
  recist: RecistCategory | null;
  /** Baseline to last point, only when the interval is known in days. */
  growthRate: { mmPer30Days: number; logPerYear: number } | null;
  /** For a lesion that grew between the last two points with a known interval. */
  volumeDoublingTime: { days: number; model: string } | null;
}

/** Change along a track (points in time order; the first is the baseline). */
export function summariseTrack(measurements: readonly Measurement[], time: TrackTime): TrackChange {
  const responses = responseSeries(measurements.map((m) => m.longAxisMm));
  const points = measurements.map((m, i) => ({
    longAxisMm: m.longAxisMm,
    shortAxisMm: m.shortAxisMm,
    percentFromBaseline: responses[i].percentFromBaseline,
    percentFromNadir: responses[i].percentFromNadir,
    nadirMm: responses[i].nadirMm,
    recist: responses[i].category,
  }));
  const n = measurements.length;
  const days = time.days;
  const rate =
    n >= 2 && days[0] !== null && days[n - 1] !== null ? growthRate(measurements[0].longAxisMm, measurements[n - 1].longAxisMm, days[n - 1]! - days[0]!) : null;
  const vdt =
    n >= 2 && days[n - 2] !== null && days[n - 1] !== null
      ? volumeDoublingTimeDays(measurements[n - 2], measurements[n - 1], days[n - 1]! - days[n - 2]!)
      : null;
  return {
    points,
    recist: n >= 2 ? points[n - 1].recist : null,
    growthRate: rate,
    volumeDoublingTime: vdt ? { days: vdt.days, model: VOLUME_MODEL[vdt.model] } : null,
  };
}
