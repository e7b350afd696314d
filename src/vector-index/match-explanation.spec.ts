import { LesionMeta } from './lesion-meta';
import { explainMatch, rerankScore } from './match-explanation';

const hit: LesionMeta = {
  label: 1,
  lesionId: 2,
  patientId: 3,
  studyId: 4,
  dataset: 'synthetic-sample',
  coarseType: 4,
  sex: 'F',
  ageYears: 60,
  longAxisMm: 20,
  split: 1,
  location: [0.5, 0.5, 0.5],
};

describe('match explanation and re-ranking', () => {
  it('compares type, size and location', () => {
    expect(explainMatch({ coarseType: 4, longAxisMm: 10, location: [0.5, 0.5, 0.2] }, hit)).toEqual({
      sameType: true,
      sizeRatio: 2,
      locationDistance: expect.closeTo(0.3, 6),
    });
    expect(explainMatch({ coarseType: null, longAxisMm: null, location: null }, hit)).toEqual({ sameType: null, sizeRatio: null, locationDistance: null });
    expect(explainMatch({ coarseType: 5, longAxisMm: 40, location: null }, hit).sameType).toBe(false);
  });

  it('penalises distance and size mismatch symmetrically, and only when asked', () => {
    const why = { sameType: true, sizeRatio: 2, locationDistance: 0.3 };
    expect(rerankScore(0.9, why, { location: 0, size: 0 })).toBe(0.9);
    expect(rerankScore(0.9, why, { location: 1, size: 0 })).toBeCloseTo(0.6);
    expect(rerankScore(0.9, { ...why, sizeRatio: 0.5 }, { location: 0, size: 1 })).toBeCloseTo(rerankScore(0.9, why, { location: 0, size: 1 }));
    expect(rerankScore(0.9, { sameType: null, sizeRatio: null, locationDistance: null }, { location: 5, size: 5 })).toBe(0.9);
  });
});
