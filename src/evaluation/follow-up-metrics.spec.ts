import { FollowUpLesion, followUpMetrics } from './follow-up-metrics';

const lesion = (patient: number, study: number, coarseType: number, cx: number, vector: number[]): FollowUpLesion => ({
  patient,
  study,
  coarseType,
  longAxisMm: 20,
  location: null,
  box: { x1: cx - 10, y1: 240, x2: cx + 10, y2: 260 },
  imageWidth: 512,
  imageHeight: 512,
  vector,
});

describe('followUpMetrics', () => {
  it('scores top-1 against same type and nearby box, with appearance-only, place-only and chance baselines', () => {
    const lesions = [
      lesion(1, 1, 4, 100, [1, 0]), // query: liver lesion at x = 100
      lesion(1, 2, 4, 110, [0.6, 0.8]), // the same lesion later: nearby, looks a bit different
      lesion(1, 2, 5, 400, [1, 0.01]), // a lung lesion far away that looks alike
      lesion(2, 1, 4, 100, [1, 0]), // another patient: never a candidate
    ];
    const metrics = followUpMetrics(lesions);
    // Lesions 0 and 1 each have one acceptable candidate (the other); lesion 2 (lung) has none.
    expect(metrics.queries).toBe(2);
    expect(metrics.meanCandidates).toBe(1.5);
    expect(metrics.top1).toBe(1);
    // Lesion 0 by appearance alone picks the look-alike lung lesion; lesion 1 has only one candidate.
    expect(metrics.appearanceOnly).toBe(0.5);
    expect(metrics.placeOnly).toBe(1);
    expect(metrics.chance).toBeCloseTo((0.5 + 1) / 2);
  });

  it('is empty when no patient has another study', () => {
    expect(followUpMetrics([lesion(1, 1, 4, 100, [1, 0])]).queries).toBe(0);
  });
});
