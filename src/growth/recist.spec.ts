import { nadirBefore, percentChange, recistCategory, responseSeries } from './recist';

describe('recistCategory', () => {
  it('PD needs both +20 % and +5 mm over the nadir, each at its edge included', () => {
    expect(recistCategory(25, 25, 30)).toBe('PD'); // +20 % and +5 mm exactly
    expect(recistCategory(25, 25, 29.99)).toBe('SD'); // +19.96 %, 4.99 mm
    expect(recistCategory(10, 10, 14.9)).toBe('SD'); // +49 % but only 4.9 mm
    expect(recistCategory(10, 10, 15)).toBe('PD'); // +50 % and 5 mm
    expect(recistCategory(50, 50, 59.9)).toBe('SD'); // 9.9 mm but only +19.8 %
    expect(recistCategory(50, 50, 60)).toBe('PD'); // +20 % exactly
  });

  it('PD is measured from the nadir, not the baseline', () => {
    // Shrank to 20, now 25: −17 % from baseline but +25 % and +5 mm from the nadir.
    expect(recistCategory(30, 20, 25)).toBe('PD');
    expect(recistCategory(30, 20, 24.9)).toBe('SD'); // 4.9 mm over the nadir and −17 % from baseline
  });

  it('PR is −30 % from baseline, edge included', () => {
    expect(recistCategory(20, 20, 14)).toBe('PR');
    expect(recistCategory(20, 20, 14.01)).toBe('SD');
    expect(recistCategory(30, 30, 21)).toBe('PR');
  });

  it('CR is disappearance', () => {
    expect(recistCategory(20, 10, 0)).toBe('CR');
  });
});

describe('nadir and percent change', () => {
  it('the nadir is the smallest value before the point, baseline included', () => {
    const s = [30, 20, 25, 18, 40];
    expect([0, 1, 2, 3, 4].map((i) => nadirBefore(s, i))).toEqual([30, 30, 20, 20, 18]);
  });

  it('percent change of a non-positive reference is unknown', () => {
    expect(percentChange(20, 25)).toBeCloseTo(25);
    expect(percentChange(0, 5)).toBeNull();
  });

  it('responseSeries reports change from baseline and nadir with the category at each follow-up', () => {
    const r = responseSeries([30, 20, 25]);
    expect(r.map((p) => p.category)).toEqual([null, 'PR', 'PD']);
    expect(r[2].percentFromBaseline).toBeCloseTo(-16.667, 2);
    expect(r[2].percentFromNadir).toBeCloseTo(25);
    expect(r[2].nadirMm).toBe(20);
  });
});
