import { leaveOnePatientOut } from './projection-eval';
import { RetrievalItem, retrievalPerQuery, summariseQueries } from './retrieval-metrics';

const item = (group: number, label: number, ...v: number[]): RetrievalItem => ({ group, label, vector: Float32Array.from(v) });

describe('leaveOnePatientOut', () => {
  // Label 1 and 2 differ in the second coordinate only; the first is large noise that misleads cosine ranking.
  const items = [item(1, 1, 5, 1), item(1, 2, -5, -1), item(2, 1, -5, 1.2), item(2, 2, 5, -1.1), item(3, 1, 4, 0.9), item(3, 2, -4, -1)];

  it('fits without the query patient, and pairs each query before and after', () => {
    const seen: number[][] = [];
    const e = leaveOnePatientOut(
      items,
      (training) => {
        seen.push([...new Set(training.map((i) => i.group))].sort());
        return (v) => Float32Array.from([v[1]]); // keep the informative coordinate
      },
      { rounds: 200, seed: 1 },
    );
    expect(seen).toEqual([
      [2, 3],
      [1, 3],
      [1, 2],
    ]);
    expect(e.folds).toBe(3);
    expect(e.before).toEqual(summariseQueries(retrievalPerQuery(items)));
    expect(e.after.meanAveragePrecision).toBe(1);
    expect(e.after.precisionAt1).toBe(1);
    expect(e.before.meanAveragePrecision).toBeLessThan(1);
    expect(e.difference.meanAveragePrecision.value).toBeCloseTo(e.after.meanAveragePrecision - e.before.meanAveragePrecision, 12);
    expect(e.difference.meanAveragePrecision.low).toBeGreaterThan(0);
  });

  it('changes nothing when the map is the identity (the paired difference is exactly 0)', () => {
    const e = leaveOnePatientOut(items, () => (v) => v, { rounds: 100, seed: 1 });
    expect(e.after).toEqual(e.before);
    expect(e.difference.meanAveragePrecision).toEqual({ value: 0, low: 0, high: 0 });
  });
});
