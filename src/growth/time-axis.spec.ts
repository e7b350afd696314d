import { trackTime } from './time-axis';

describe('trackTime', () => {
  it('gives days since the first study when every study has a date', () => {
    const t = trackTime([
      { studyIndex: 1, studyDate: '2010-01-01', ageYears: 50 },
      { studyIndex: 2, studyDate: '2010-03-02', ageYears: 50 },
      { studyIndex: 3, studyDate: '2011-01-01', ageYears: 51 },
    ]);
    expect(t.basis).toBe('days');
    expect(t.days).toEqual([0, 60, 365]);
  });

  it('never invents intervals without dates: study order and age difference only', () => {
    const t = trackTime([
      { studyIndex: 1, studyDate: null, ageYears: 50 },
      { studyIndex: 2, studyDate: '2010-03-02', ageYears: 52 },
    ]);
    expect(t.basis).toBe('study-order');
    expect(t.days).toEqual([null, null]);
    expect(t.ageDifferenceYears).toEqual([0, 2]);
    expect(t.note).toMatch(/no dates/);
  });
});
