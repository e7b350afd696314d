import {
  averagePrecision,
  bootstrapOverGroups,
  chanceRetrieval,
  evaluateRetrieval,
  majorityLabel,
  percentile,
  RetrievalItem,
  retrievalPerQuery,
  summariseQueries,
} from './retrieval-metrics';

const item = (x: number, y: number, label: number, group: number): RetrievalItem => ({ vector: Float32Array.from([x, y]), label, group });

describe('evaluateRetrieval', () => {
  it('ranks other groups by cosine and scores P@1, P@5, mAP and kNN', () => {
    // Query 0 (group 0, label 1). Its gallery by angle to (1, 0): item 2 (0°, label 2),
    // item 3 (27°, label 1), item 4 (45°, label 2), item 5 (90°, label 3). Item 1 shares its group.
    const items = [item(1, 0, 1, 0), item(1, 0.01, 1, 0), item(1, 0, 2, 1), item(2, 1, 1, 1), item(1, 1, 2, 2), item(0, 1, 3, 2)];
    // Answerable: 0 and 1 (label 1, item 3 elsewhere), 2 and 4 (label 2, groups 1 and 2), 3 (items 0, 1).
    const m = evaluateRetrieval(items, { k: 3 });
    expect(m.queries).toBe(5);
    // Per query (relevant flags in rank order):
    //   0: [2, 3, 4, 5] → F T F F: P@1 0, P@5 1/4, AP 1/2, kNN-3 [2, 1, 2] → 2 ✗
    //   1: same ranking as 0 (item 1 is almost item 0): P@1 0, P@5 1/4, AP 1/2, kNN ✗
    //   2 (1, 0): [0, 1, 4, 5] → F F T F: P@1 0, P@5 1/4, AP 1/3, kNN [1, 1, 2] → 1 ✗
    //   4 (1, 1): [3 (18°), 1 (44.4°), 0 (45°), 2 (45°)] → F F F T: P@1 0, AP 1/4, kNN [1, 1, 1] ✗
    const cos = (a: number[], b: number[]) => (a[0] * b[0] + a[1] * b[1]) / Math.hypot(...a) / Math.hypot(...b);
    const order3 = [0, 1, 4, 5].sort((a, b) => cos([2, 1], [items[b].vector[0], items[b].vector[1]]) - cos([2, 1], [items[a].vector[0], items[a].vector[1]]));
    expect(order3).toEqual([4, 1, 0, 5]);
    //   3 (label 1): [4, 1, 0, 5] → F T T F: P@1 0, P@5 2/4, AP (1/2 + 2/3)/2, kNN [2, 1, 1] → 1 ✓
    expect(m.precisionAt1).toBe(0);
    expect(m.precisionAt5).toBeCloseTo((1 / 4 + 1 / 4 + 1 / 4 + 2 / 4 + 1 / 4) / 5, 12);
    expect(m.meanAveragePrecision).toBeCloseTo((1 / 2 + 1 / 2 + 1 / 3 + (1 / 2 + 2 / 3) / 2 + 1 / 4) / 5, 12);
    expect(m.knnAccuracy).toBeCloseTo(1 / 5, 12);
  });

  it('computes the exact numbers for a small known case', () => {
    // Two groups; every query has exactly one relevant item in the other group, ranked first.
    const items = [item(1, 0, 1, 0), item(0, 1, 2, 0), item(1, 0.1, 1, 1), item(0.1, 1, 2, 1)];
    // P@5 over a 2-item gallery is 1/2; kNN-5 over [own, other] is a tie, won by the first ranked.
    expect(evaluateRetrieval(items)).toEqual({ queries: 4, precisionAt1: 1, precisionAt5: 0.5, meanAveragePrecision: 1, knnAccuracy: 1 });
  });

  it('skips queries without a relevant item and breaks ties by input order', () => {
    const items = [item(1, 0, 1, 0), item(1, 0, 2, 1), item(1, 0, 1, 1), item(0, 1, 3, 2)];
    const m = evaluateRetrieval(items);
    // Query 0 sees identical vectors 1 (label 2) and 2 (label 1): tie → item 1 first → P@1 0, AP 1/2.
    // Query 2 (label 1) sees item 0 (label 1) first. Queries 1 and 3 have no same-label item elsewhere.
    expect(m.queries).toBe(2);
    expect(m.precisionAt1).toBe(0.5);
    expect(m.meanAveragePrecision).toBeCloseTo((0.5 + 1) / 2, 12);
  });

  it('gives NaN when no query is answerable', () => {
    expect(evaluateRetrieval([item(1, 0, 1, 0), item(1, 0, 2, 1)]).meanAveragePrecision).toBeNaN();
  });
});

describe('majorityLabel and averagePrecision', () => {
  it('breaks kNN ties in favour of the tied label ranked first', () => {
    expect(majorityLabel([3, 1, 1, 3, 2])).toBe(3);
    expect(majorityLabel([2, 1, 1, 3, 2])).toBe(2);
    expect(majorityLabel([2, 1, 1, 3, 4])).toBe(1);
  });

  it('averages precision at each relevant rank', () => {
    expect(averagePrecision([true, false, true])).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(averagePrecision([false, false])).toBeNaN();
  });
});

describe('bootstrapOverGroups', () => {
  const items = [0, 1, 2, 3, 4].flatMap((g) => [
    { group: g, value: g },
    { group: g, value: g },
  ]);
  const mean = (sample: { value: number }[]) => sample.reduce((s, x) => s + x.value, 0) / sample.length;

  it('is reproducible for a seed and brackets the statistic', () => {
    const a = bootstrapOverGroups(items, mean, { rounds: 500, seed: 7 });
    const b = bootstrapOverGroups(items, mean, { rounds: 500, seed: 7 });
    expect(a).toEqual(b);
    expect(a.low).toBeLessThan(2);
    expect(a.high).toBeGreaterThan(2);
    expect(a.low).toBeGreaterThanOrEqual(0);
    expect(a.high).toBeLessThanOrEqual(4);
  });

  it('resamples whole groups: a constant-per-group metric never sees half a group', () => {
    const sizes = bootstrapOverGroups(items, (sample) => sample.length % 2, { rounds: 200, seed: 1 });
    expect(sizes).toEqual({ low: 0, high: 0 });
  });

  it('resamples per-query retrieval results by patient', () => {
    // Group 0's queries all succeed, group 1's all fail; groups 2 and 3 are answerable half-and-half.
    const retrieval = [item(1, 0, 1, 0), item(1, 0, 1, 1), item(0, 1, 2, 1), item(0, 1, 1, 2), item(1, 0, 2, 2), item(1, 0.2, 3, 3)];
    const perQuery = retrievalPerQuery(retrieval);
    expect(summariseQueries(perQuery)).toEqual(evaluateRetrieval(retrieval));
    expect(perQuery.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    const ci = bootstrapOverGroups(perQuery, (s) => summariseQueries(s).meanAveragePrecision, { rounds: 400, seed: 2 });
    const overall = evaluateRetrieval(retrieval).meanAveragePrecision;
    expect(ci.low).toBeLessThanOrEqual(overall);
    expect(ci.high).toBeGreaterThanOrEqual(overall);
  });

  it('interpolates percentiles linearly', () => {
    expect(percentile([0, 10, 20, 30, 40], 0.5)).toBe(20);
    expect(percentile([0, 10], 0.25)).toBe(2.5);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('chanceRetrieval', () => {
  it('gives the relevant share as P@1 and a random-ranking mAP', () => {
    // Query 0 sees [1, 2, 2, 2] (one relevant of four); queries 1 and 2 (label 2) see each other.
    const items = [
      { label: 1, group: 0 },
      { label: 1, group: 1 },
      { label: 2, group: 1 },
      { label: 2, group: 2 },
      { label: 2, group: 2 },
    ];
    const chance = chanceRetrieval(items, { rounds: 4000, seed: 3 });
    expect(chance.queries).toBe(5);
    // Shares: query 0: 1/4; 1: 1/3 (item 0 of [0, 3, 4]); 2: 2/3; 3 and 4: 1/3 (item 2 of [0, 1, 2]).
    expect(chance.precisionAt1).toBeCloseTo((1 / 4 + 1 / 3 + 2 / 3 + 1 / 3 + 1 / 3) / 5, 12);
    // One relevant among n at a uniform rank: E[AP] = E[1/r] = H(n)/n. Two relevant among three:
    // AP over the 3 equally likely placements = (1 + 5/6 + 7/12)/3 = 29/36.
    const expected = ((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4 + (11 / 6 / 3) * 3 + 29 / 36) / 5;
    expect(Math.abs(chance.meanAveragePrecision - expected)).toBeLessThan(0.01);
  });
});
