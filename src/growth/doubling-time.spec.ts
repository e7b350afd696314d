import { approximateVolumeMm3, growthRate, volumeDoublingTimeDays } from './doubling-time';

describe('volume doubling time', () => {
  it('a sphere whose diameter grows by 2^(1/3) doubled its volume: VDT equals the interval', () => {
    const d = volumeDoublingTimeDays({ longAxisMm: 10, shortAxisMm: null }, { longAxisMm: 10 * 2 ** (1 / 3), shortAxisMm: null }, 90);
    expect(d).toEqual({ days: expect.closeTo(90, 6), model: 'sphere' });
  });

  it('a sphere whose diameter doubles has 8× the volume: VDT is a third of the interval', () => {
    expect(volumeDoublingTimeDays({ longAxisMm: 10, shortAxisMm: null }, { longAxisMm: 20, shortAxisMm: null }, 300)!.days).toBeCloseTo(100, 6);
  });

  it('the ellipsoid uses L·S²: only the short axis doubling gives 4× the volume', () => {
    const d = volumeDoublingTimeDays({ longAxisMm: 20, shortAxisMm: 10 }, { longAxisMm: 20, shortAxisMm: 20 }, 60);
    expect(d).toEqual({ days: expect.closeTo(30, 6), model: 'ellipsoid' });
    expect(approximateVolumeMm3({ longAxisMm: 20, shortAxisMm: 10 }).volumeMm3).toBeCloseTo((Math.PI / 6) * 2000, 6);
  });

  it('falls back to the sphere when one point lacks a short axis', () => {
    expect(volumeDoublingTimeDays({ longAxisMm: 10, shortAxisMm: 5 }, { longAxisMm: 20, shortAxisMm: null }, 300)!.model).toBe('sphere');
  });

  it('no doubling time for a stable or shrinking lesion, or without an interval', () => {
    expect(volumeDoublingTimeDays({ longAxisMm: 10, shortAxisMm: 8 }, { longAxisMm: 10, shortAxisMm: 8 }, 100)).toBeNull();
    expect(volumeDoublingTimeDays({ longAxisMm: 10, shortAxisMm: 8 }, { longAxisMm: 8, shortAxisMm: 6 }, 100)).toBeNull();
    expect(volumeDoublingTimeDays({ longAxisMm: 10, shortAxisMm: null }, { longAxisMm: 20, shortAxisMm: null }, 0)).toBeNull();
  });
});

describe('growthRate', () => {
  it('gives mm per 30 days and the exponential rate per year', () => {
    const r = growthRate(10, 20, 365.25)!;
    expect(r.mmPer30Days).toBeCloseTo((10 / 365.25) * 30, 9);
    expect(r.logPerYear).toBeCloseTo(Math.LN2, 9);
    expect(growthRate(10, 20, 0)).toBeNull();
  });
});
