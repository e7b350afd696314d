import { bodyMidline, candidateScore, discRingStats, IntegralImage, mirrorDifference } from './blob-candidates';

describe('blob candidate maths', () => {
  const n = 64;
  const disc = (cx: number, cy: number, r: number, inside: number, outside: number) =>
    Float32Array.from({ length: n * n }, (_, i) => (Math.hypot((i % n) - cx, Math.floor(i / n) - cy) <= r ? inside : outside));

  it('separates disc and ring statistics and the sectors of the ring', () => {
    const img = disc(32, 32, 6, 100, 0);
    const s = discRingStats(img, n, n, 32, 32, 5, 8, 14);
    expect(s).toMatchObject({ discMean: 100, discStd: 0, ringMean: 0, ringStd: 0 });
    expect(s.sectorMeans).toHaveLength(8);
    expect(s.sectorMeans.every((m) => m === 0)).toBe(true);
  });

  it('means boxes through the summed-area table', () => {
    const img = Float32Array.from({ length: n * n }, (_, i) => i % n);
    const integral = new IntegralImage(img, n, n);
    expect(integral.squareMean(10, 20, 2)).toBeCloseTo(10);
    expect(integral.squareMean(0, 0, 3)).toBeCloseTo(1.5); // clipped at the edge: columns 0..3
  });

  it('finds a mirror twin across the body midline, and none for a lone blob', () => {
    const body = new Uint8Array(n * n).fill(1);
    expect(bodyMidline(body, n)).toBeCloseTo(31.5);
    const twins = disc(20, 30, 4, 100, 0);
    const right = disc(43, 30, 4, 100, 0);
    for (let i = 0; i < twins.length; i++) twins[i] = Math.max(twins[i], right[i]);
    expect(mirrorDifference(new IntegralImage(twins, n, n), 31.5, 20, 30, 5)).toBeLessThan(5);
    const lone = disc(20, 30, 4, 100, 0);
    expect(mirrorDifference(new IntegralImage(lone, n, n), 31.5, 20, 30, 5)).toBeGreaterThan(50);
  });

  it('scores contrast over spread, lower for symmetric, small or elongated blobs', () => {
    const base = { polarity: 1 as const, channel: 0 as const, sigma: 6 };
    const features = {
      discMean: 100,
      discStd: 10,
      ringMean: 20,
      ringStd: 10,
      roundness: 1,
      edgeDistance: 5,
      ringInBody: 1,
      sectorContrasts: [],
      mirrorDifference: 80,
    };
    const lone = candidateScore({ ...base, features });
    expect(lone).toBeCloseTo(80 / 20);
    expect(candidateScore({ ...base, features: { ...features, mirrorDifference: 2 } })).toBeCloseTo(lone * 0.1);
    expect(candidateScore({ ...base, sigma: 2.5, features })).toBeCloseTo(lone / 4);
    expect(candidateScore({ ...base, features: { ...features, roundness: 0.2 } })).toBeCloseTo(lone * 0.2);
    expect(candidateScore({ ...base, polarity: -1, features })).toBe(0);
  });
});
