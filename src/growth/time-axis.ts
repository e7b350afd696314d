/**
 * When each point of a track was seen. Days only where every study has a date (DICOM dates, shifted
 * consistently per patient; the built-in sample's study dates). Otherwise the study order and the
 * difference in age (whole years in DeepLesion): no interval is invented from them.
 */
export interface StudyTime {
  studyIndex: number;
  /** ISO date (YYYY-MM-DD) or null. */
  studyDate: string | null;
  ageYears: number | null;
}

export type TimeBasis = 'days' | 'study-order';

export interface TrackTime {
  basis: TimeBasis;
  /** Days since the first point, per point; null unless basis is 'days'. */
  days: (number | null)[];
  /** Age difference from the first point in years, per point, when ages are known. */
  ageDifferenceYears: (number | null)[];
  note: string;
}

const DAY_MS = 86_400_000;

export function trackTime(points: readonly StudyTime[]): TrackTime {
  const dates = points.map((p) => (p.studyDate ? Date.parse(`${p.studyDate}T00:00:00Z`) : NaN));
  const ages = points.map((p) => (p.ageYears === null || points[0].ageYears === null ? null : p.ageYears - points[0].ageYears));
  if (points.length > 0 && dates.every(Number.isFinite)) {
    return {
      basis: 'days',
      days: dates.map((d) => Math.round((d - dates[0]) / DAY_MS)),
      ageDifferenceYears: ages,
      note: 'Intervals in days from the study dates.',
    };
  }
  return {
    basis: 'study-order',
    days: points.map(() => null),
    ageDifferenceYears: ages,
    note: 'The studies have no dates (DeepLesion has none): points are in study order, with the difference in patient age; intervals in days are unknown, so no growth rate or doubling time is given.',
  };
}
