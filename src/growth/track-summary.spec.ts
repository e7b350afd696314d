import { summariseTrack } from './track-summary';
import { trackTime } from './time-axis';

describe('summariseTrack', () => {
  const dated = (days: number[]) =>
    trackTime(days.map((d, i) => ({ studyIndex: i + 1, studyDate: new Date(Date.UTC(2010, 0, 1) + d * 86_400_000).toISOString().slice(0, 10), ageYears: 60 })));

  it('growth rate and doubling time from dated points, RECIST at the last point', () => {
    const s = summariseTrack(
      [
        { longAxisMm: 10, shortAxisMm: null },
        { longAxisMm: 20, shortAxisMm: null },
      ],
      dated([0, 300]),
    );
    expect(s.recist).toBe('PD');
    expect(s.growthRate!.mmPer30Days).toBeCloseTo(1, 9);
    expect(s.volumeDoublingTime!.days).toBeCloseTo(100, 6);
    expect(s.volumeDoublingTime!.model).toMatch(/sphere/);
  });

  it('no rate or doubling time without dates, and nothing to assess for one point', () => {
    const undated = trackTime([
      { studyIndex: 1, studyDate: null, ageYears: 60 },
      { studyIndex: 2, studyDate: null, ageYears: 61 },
    ]);
    const s = summariseTrack(
      [
        { longAxisMm: 10, shortAxisMm: 8 },
        { longAxisMm: 20, shortAxisMm: 16 },
      ],
      undated,
    );
    expect(s.recist).toBe('PD');
    expect(s.growthRate).toBeNull();
    expect(s.volumeDoublingTime).toBeNull();
    expect(summariseTrack([{ longAxisMm: 10, shortAxisMm: 8 }], dated([0])).recist).toBeNull();
  });
});
