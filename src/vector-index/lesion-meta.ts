/** What a search filter or re-ranking needs to know of an indexed lesion, kept in memory by label. */
export interface LesionMeta {
  label: number;
  lesionId: number;
  patientId: number;
  studyId: number;
  /** The patient's dataset (site): API keys limited to datasets filter on it. */
  dataset: string;
  coarseType: number;
  sex: 'M' | 'F' | null;
  ageYears: number | null;
  longAxisMm: number | null;
  split: number | null;
  location: [number, number, number] | null;
}

/**
 * Structured criteria on a lesion, as the list query, the vector index filter and cohorts apply them. Owned here, by the index
 * that filters on them; lesions and cohorts build them from requests.
 */
export interface LesionCriteria {
  coarseTypes?: number[];
  sex?: 'M' | 'F';
  ageMin?: number;
  ageMax?: number;
  diameterMinMm?: number;
  diameterMaxMm?: number;
  /** 1 train, 2 validation, 3 test. */
  splits?: number[];
  /** Only lesions of these datasets (sites); undefined: every dataset. */
  datasets?: string[];
}

export interface SearchFilter extends LesionCriteria {
  excludeLesionId?: number;
  excludePatientId?: number;
  excludeStudyId?: number;
  /** Only these lesions (e.g. the result of a tag query). */
  lesionIds?: Set<number>;
}

/** A predicate for the filter, or null when nothing is filtered. Pure. */
export function filterPredicate(filter: SearchFilter): ((meta: LesionMeta) => boolean) | null {
  const checks: ((m: LesionMeta) => boolean)[] = [];
  if (filter.excludeLesionId !== undefined) checks.push((m) => m.lesionId !== filter.excludeLesionId);
  if (filter.excludePatientId !== undefined) checks.push((m) => m.patientId !== filter.excludePatientId);
  if (filter.excludeStudyId !== undefined) checks.push((m) => m.studyId !== filter.excludeStudyId);
  if (filter.coarseTypes?.length) {
    const types = new Set(filter.coarseTypes);
    checks.push((m) => types.has(m.coarseType));
  }
  if (filter.sex) checks.push((m) => m.sex === filter.sex);
  if (filter.ageMin !== undefined) checks.push((m) => m.ageYears !== null && m.ageYears >= filter.ageMin!);
  if (filter.ageMax !== undefined) checks.push((m) => m.ageYears !== null && m.ageYears <= filter.ageMax!);
  if (filter.diameterMinMm !== undefined) checks.push((m) => m.longAxisMm !== null && m.longAxisMm >= filter.diameterMinMm!);
  if (filter.diameterMaxMm !== undefined) checks.push((m) => m.longAxisMm !== null && m.longAxisMm <= filter.diameterMaxMm!);
  if (filter.splits?.length) {
    const splits = new Set(filter.splits);
    checks.push((m) => m.split !== null && splits.has(m.split));
  }
  if (filter.datasets) {
    const datasets = new Set(filter.datasets);
    checks.push((m) => datasets.has(m.dataset));
  }
  if (filter.lesionIds) checks.push((m) => filter.lesionIds!.has(m.lesionId));
  if (!checks.length) return null;
  return (m) => checks.every((check) => check(m));
}
