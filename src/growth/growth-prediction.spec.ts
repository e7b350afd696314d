import { neighbourWeight, predictLongAxis, stepsOf, weightedQuantile } from './growth-prediction';

describe('predictLongAxis', () => {
  it('"no change" predicts the current size with a point interval, and stable or no response', () => {
    const p = predictLongAxis([20], [{ weight: 1, steps: [{ logRatio: 0, days: null }] }], 90)!;
    expect(p.longAxisMm).toBe(20);
    expect(p.interval80).toEqual([20, 20]);
    expect(p.recistProbabilities).toEqual({ CR: 0, PR: 0, SD: 1, PD: 0 });
  });

  it('rescales a step with a known interval to the horizon (exponential growth)', () => {
    // Neighbour doubled in 100 days; over 50 days the query grows by √2.
    const p = predictLongAxis([10], [{ weight: 1, steps: [{ logRatio: Math.LN2, days: 100 }] }], 50)!;
    expect(p.longAxisMm).toBeCloseTo(10 * Math.SQRT2, 9);
    expect(p.scaledSteps).toBe(1);
    expect(p.recistProbabilities.PD).toBe(0); // 14.1 mm: +41 % but only 4.1 mm
  });

  it('uses a step with an unknown interval as it is, and says so', () => {
    const p = predictLongAxis([10], [{ weight: 1, steps: [{ logRatio: Math.LN2, days: null }] }], 50)!;
    expect(p.longAxisMm).toBeCloseTo(20, 9);
    expect(p.unscaledSteps).toBe(1);
    expect(p.recistProbabilities.PD).toBe(1);
  });

  it('weights neighbours: the heavier one dominates the median and the category probabilities', () => {
    const p = predictLongAxis(
      [20],
      [
        { weight: 3, steps: [{ logRatio: Math.log(1.5), days: null }] },
        { weight: 1, steps: [{ logRatio: Math.log(0.5), days: null }] },
      ],
      null,
    )!;
    expect(p.recistProbabilities.PD).toBeCloseTo(0.75);
    expect(p.recistProbabilities.PR).toBeCloseTo(0.25);
    expect(p.longAxisMm).toBeGreaterThan(20);
    expect(p.interval80[0]).toBeLessThan(p.longAxisMm);
    expect(p.interval80[1]).toBeGreaterThanOrEqual(p.longAxisMm);
  });

  it('PD of a prediction is judged from the history’s nadir', () => {
    // Shrank 30 → 20; +25 % of the current 20 is 25 mm: PD from the nadir though below baseline.
    const p = predictLongAxis([30, 20], [{ weight: 1, steps: [{ logRatio: Math.log(1.25), days: null }] }], null)!;
    expect(p.recistProbabilities.PD).toBe(1);
  });

  it('no prediction without steps or a current size', () => {
    expect(predictLongAxis([20], [], 30)).toBeNull();
    expect(predictLongAxis([0], [{ weight: 1, steps: [{ logRatio: 0, days: null }] }], 30)).toBeNull();
  });
});

describe('helpers', () => {
  it('weightedQuantile interpolates and respects weights', () => {
    const v = [
      { mm: 10, weight: 1 },
      { mm: 20, weight: 1 },
    ];
    expect(weightedQuantile(v, 0.5)).toBeCloseTo(15);
    expect(weightedQuantile(v, 0.1)).toBe(10);
    // Midpoints of the weights sit at 0.45 and 0.95: the median lies a tenth of the way to 20.
    expect(
      weightedQuantile(
        [
          { mm: 10, weight: 9 },
          { mm: 20, weight: 1 },
        ],
        0.5,
      ),
    ).toBeCloseTo(11);
  });

  it('neighbourWeight prefers similar appearance, same type and size', () => {
    expect(neighbourWeight(0.9, true, 1)).toBeGreaterThan(neighbourWeight(0.8, true, 1));
    expect(neighbourWeight(0.9, true, 1)).toBeCloseTo(2 * neighbourWeight(0.9, false, 1));
    expect(neighbourWeight(0.9, true, 2)).toBeCloseTo(neighbourWeight(0.9, true, 0.5));
    expect(neighbourWeight(-0.2, true, 1)).toBe(0);
  });

  it('stepsOf gives log changes with intervals where known', () => {
    expect(stepsOf([10, 20, 10], [0, 30, null])).toEqual([
      { logRatio: Math.LN2, days: 30 },
      { logRatio: -Math.LN2, days: null },
    ]);
  });
});
