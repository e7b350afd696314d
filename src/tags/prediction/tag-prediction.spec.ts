import { calibrateThreshold, metricsAt, neighbourVotes, resolveExclusive, rocAuc } from './tag-prediction';

describe('tag prediction maths', () => {
  it('computes AUC by ranks, with ties counted half', () => {
    expect(rocAuc([0.9, 0.8, 0.3, 0.1], [true, true, false, false])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [true, true, false, false])).toBe(0);
    // One positive ties one negative: 3 of 4 pairs right, the tie counts half → 0.875.
    expect(rocAuc([0.9, 0.5, 0.5, 0.1], [true, true, false, false])).toBeCloseTo(0.875, 10);
    expect(rocAuc([0.5, 0.4], [true, true])).toBeNaN();
  });

  it('computes precision, recall and F1 at a threshold', () => {
    expect(metricsAt([0.9, 0.6, 0.4, 0.2], [true, false, true, false], 0.5)).toEqual({ threshold: 0.5, precision: 0.5, recall: 0.5, f1: 0.5 });
  });

  it('calibrates the threshold with the best F1 (the higher one on ties)', () => {
    const best = calibrateThreshold([0.9, 0.8, 0.7, 0.3, 0.2], [true, true, false, true, false]);
    // ≥0.8 → P 1, R 2/3, F1 0.8; ≥0.3 → P 0.75, R 1, F1 0.857: 0.3 wins.
    expect(best.threshold).toBe(0.3);
    expect(best.f1).toBeCloseTo(0.857, 3);
    expect(calibrateThreshold([0.2, 0.1], [false, false], 0.42).threshold).toBe(0.42);
  });

  it('votes with similarity weights, only among neighbours labelled for the term', () => {
    const labels = new Map([
      [1, new Set([10])],
      [2, new Set<number>()],
      [3, new Set([10])],
    ]);
    const labelled = (lesion: number, term: number) => !(lesion === 3 && term === 20);
    const votes = neighbourVotes(
      [
        { lesionId: 1, similarity: 0.95 },
        { lesionId: 2, similarity: 0.95 },
        { lesionId: 3, similarity: 0.9 },
      ],
      [10, 20],
      (l, t) => labels.get(l)!.has(t),
      labelled,
      3,
      2,
    );
    const w95 = Math.exp(-0.05 / 0.05);
    const w90 = Math.exp(-0.1 / 0.05);
    expect(votes.get(10)).toBeCloseTo((w95 + w90) / (2 * w95 + w90), 10);
    // Term 20: lesion 3 says nothing about it, 2 informative neighbours, none positive.
    expect(votes.get(20)).toBe(0);
    // Fewer informative neighbours than the minimum: no score at all.
    expect(
      neighbourVotes(
        [{ lesionId: 1, similarity: 1 }],
        [10],
        () => true,
        () => true,
        3,
        2,
      ).has(10),
    ).toBe(false);
  });

  it('keeps only the best of mutually exclusive passing terms', () => {
    const exclusive = new Map([
      ['cyst', ['solid']],
      ['solid', ['cyst']],
    ]);
    const kept = resolveExclusive(
      new Map([
        ['cyst', 0.7],
        ['solid', 0.8],
        ['liver', 0.9],
      ]),
      (t) => exclusive.get(t) ?? [],
    );
    expect([...kept.keys()].sort()).toEqual(['liver', 'solid']);
  });
});
