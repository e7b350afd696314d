import { argmaxFirst, twoPatientFolds } from './patient-folds';

describe('twoPatientFolds', () => {
  const patients = [1, 1, 2, 4, 9, 9, 10, 13, 14, 16, 20, 21];

  it('splits the distinct patients into two disjoint halves covering all of them', () => {
    for (const seed of [0, 1, 7]) {
      const [a, b] = twoPatientFolds(patients, seed);
      expect(a).toHaveLength(5);
      expect(b).toHaveLength(5);
      expect(a.filter((p) => b.includes(p))).toEqual([]);
      expect([...a, ...b].sort((x, y) => x - y)).toEqual([1, 2, 4, 9, 10, 13, 14, 16, 20, 21]);
    }
  });

  it('is deterministic per seed, seed 0 keeping the sorted order, and other seeds shuffling', () => {
    expect(twoPatientFolds(patients, 0)).toEqual([
      [1, 2, 4, 9, 10],
      [13, 14, 16, 20, 21],
    ]);
    expect(twoPatientFolds(patients, 3)).toEqual(twoPatientFolds(patients, 3));
    const splits = new Set([1, 2, 3, 4, 5].map((s) => twoPatientFolds(patients, s)[0].join(',')));
    expect(splits.size).toBeGreaterThan(1);
  });

  it('refuses fewer than two patients', () => {
    expect(() => twoPatientFolds([3, 3], 0)).toThrow(/at least 2 patients/);
  });
});

describe('argmaxFirst', () => {
  it('returns the first of tied maxima', () => {
    expect(argmaxFirst(['a', 'b', 'c'], (c) => (c === 'a' ? 1 : 2))).toEqual({ best: 'b', score: 2, index: 1 });
  });
});
