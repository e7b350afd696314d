import { GrowthPrediction } from './growth-prediction';
import { growthMetricIntervals, growthMetrics, HeldOutCase, macroF1 } from './growth-metrics';

const prediction = (mm: number, lo: number, hi: number, likely: 'PD' | 'SD' | 'PR'): GrowthPrediction => ({
  longAxisMm: mm,
  interval80: [lo, hi],
  recistProbabilities: { CR: 0, PR: likely === 'PR' ? 0.6 : 0.2, SD: likely === 'SD' ? 0.6 : 0.2, PD: likely === 'PD' ? 0.6 : 0.2 },
  scaledSteps: 1,
  unscaledSteps: 0,
});

describe('growth metrics', () => {
  const cases: HeldOutCase[] = [
    { group: 1, actualMm: 20, actualCategory: 'SD', prediction: prediction(22, 18, 24, 'SD') },
    { group: 2, actualMm: 30, actualCategory: 'PD', prediction: prediction(26, 20, 28, 'SD') },
    { group: 3, actualMm: 10, actualCategory: 'PR', prediction: null },
  ];

  it('MAE, coverage and accuracy over the answered cases', () => {
    const m = growthMetrics(cases);
    expect(m).toMatchObject({ cases: 3, answered: 2, maeMm: 3, coverage80: 0.5, recistAccuracy: 0.5 });
    // SD: tp 1, fp 1 → F1 2/3; PD: tp 0 → 0. Macro = 1/3.
    expect(m.recistMacroF1).toBeCloseTo(1 / 3, 9);
  });

  it('macro-F1 is 1 for perfect predictions and counts a never-predicted class as 0', () => {
    expect(macroF1(['PD', 'SD'], ['PD', 'SD'])).toBe(1);
    expect(macroF1(['PD', 'PD'], ['SD', 'SD'])).toBe(0);
  });

  it('bootstrap intervals bracket the point estimate', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ ...cases[i % 2], group: i }));
    const m = growthMetrics(many);
    const ci = growthMetricIntervals(many, 200);
    expect(ci.maeMm.low).toBeLessThanOrEqual(m.maeMm);
    expect(ci.maeMm.high).toBeGreaterThanOrEqual(m.maeMm);
  });
});
