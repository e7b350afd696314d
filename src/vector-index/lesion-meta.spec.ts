import { filterPredicate, LesionMeta } from './lesion-meta';

const meta = (lesionId: number, dataset: string): LesionMeta => ({
  label: lesionId,
  lesionId,
  patientId: lesionId,
  studyId: lesionId,
  dataset,
  coarseType: 4,
  sex: 'F',
  ageYears: 60,
  longAxisMm: 20,
  split: 1,
  location: null,
});

describe('filterPredicate', () => {
  const lesions = [meta(1, 'site-a'), meta(2, 'site-b'), meta(3, 'site-c')];

  it('keeps only lesions of the filter’s datasets', () => {
    const keep = filterPredicate({ datasets: ['site-a', 'site-c'] })!;
    expect(lesions.filter(keep).map((m) => m.lesionId)).toEqual([1, 3]);
  });

  it('combines the dataset with the other criteria (all must hold)', () => {
    const keep = filterPredicate({ datasets: ['site-a', 'site-b'], excludeLesionId: 1 })!;
    expect(lesions.filter(keep).map((m) => m.lesionId)).toEqual([2]);
  });

  it('filters nothing without criteria', () => {
    expect(filterPredicate({})).toBeNull();
  });
});
