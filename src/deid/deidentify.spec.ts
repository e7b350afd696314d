import { DEID_RULES } from './deid-rules';
import { deidentify } from './deidentify';
import { ageAtStudy, DATE_SHIFT_DAYS, dateShiftDays, parseDicomDate, patientKeyHash, pseudonymousUid } from './pseudonym';

const SECRET = 'a-test-secret-of-some-length';

describe('deidentify (applies DEID_RULES)', () => {
  // Every attribute of the table gets a value that can be searched for afterwards.
  const raw: Record<string, string> = {};
  for (const rule of DEID_RULES) raw[rule.keyword] = `IDENT_${rule.keyword}_X`;
  Object.assign(raw, {
    StudyDate: '20200315',
    PatientBirthDate: '19600101',
    PatientAge: '',
    PatientSex: 'F',
    StudyInstanceUID: '1.2.840.99.1',
    SeriesInstanceUID: '1.2.840.99.1.2',
    SOPInstanceUID: '1.2.840.99.1.2.3',
  });
  const out = deidentify(raw, SECRET);

  it('lets out exactly the keep, uid and shift-date attributes, transformed as the table says', () => {
    for (const rule of DEID_RULES) {
      const value = out.values[rule.keyword];
      if (rule.action === 'keep') expect(value).toBe(raw[rule.keyword] || undefined);
      else if (rule.action === 'uid') expect(value).toBe(pseudonymousUid(SECRET, raw[rule.keyword]));
      else if (rule.action === 'shift-date') expect(value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      else expect({ keyword: rule.keyword, value }).toEqual({ keyword: rule.keyword, value: undefined });
    }
  });

  it('leaves no removed, key or age-source value anywhere in its output', () => {
    const text = JSON.stringify(out);
    for (const rule of DEID_RULES.filter((r) => r.action === 'remove' || r.action === 'patient-key' || r.action === 'age-source')) {
      if (raw[rule.keyword]) expect({ keyword: rule.keyword, found: text.includes(raw[rule.keyword]) }).toEqual({ keyword: rule.keyword, found: false });
    }
    expect(text).not.toContain('1.2.840.99.1');
    expect(text).not.toContain('19600101');
    expect(text).not.toContain('20200315');
  });

  it('keeps sex and the age at the study, and shifts the date by the patient offset', () => {
    expect(out.sex).toBe('F');
    expect(out.ageYears).toBeCloseTo(60.2, 1);
    expect(out.values.StudyDate).toBe(new Date(Date.UTC(2020, 2, 15) + out.dateShiftDays * 86_400_000).toISOString().slice(0, 10));
    expect(out.patientKeyHash).toBe(patientKeyHash(SECRET, raw.IssuerOfPatientID, raw.PatientID));
  });
});

describe('pseudonyms', () => {
  it('same patient, same key; another secret, another key; the issuer counts', () => {
    expect(patientKeyHash(SECRET, 'HOSP', '123')).toBe(patientKeyHash(SECRET, 'HOSP', '123 '));
    expect(patientKeyHash(SECRET, 'HOSP', '123')).not.toBe(patientKeyHash('another-secret-entirely', 'HOSP', '123'));
    expect(patientKeyHash(SECRET, 'HOSP', '123')).not.toBe(patientKeyHash(SECRET, 'OTHER', '123'));
    expect(patientKeyHash(SECRET, 'HOSP', '123')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shifts dates by whole days in the fixed range, the same for every study of a patient (intervals exact)', () => {
    const shifts = Array.from({ length: 200 }, (_, i) => dateShiftDays(SECRET, patientKeyHash(SECRET, '', String(i))));
    expect(shifts.every((d) => Number.isInteger(d) && d >= DATE_SHIFT_DAYS.min && d <= DATE_SHIFT_DAYS.max)).toBe(true);
    expect(new Set(shifts).size).toBeGreaterThan(150);
    const a = deidentify({ PatientID: 'P', StudyDate: '20200101', StudyInstanceUID: '1.1' }, SECRET).values.StudyDate!;
    const b = deidentify({ PatientID: 'P', StudyDate: '20200311', StudyInstanceUID: '1.2' }, SECRET).values.StudyDate!;
    expect((Date.parse(b) - Date.parse(a)) / 86_400_000).toBe(70);
  });

  it('makes 2.25 UIDs: valid, stable, distinct, secret-dependent', () => {
    const uid = pseudonymousUid(SECRET, '1.2.3.4');
    expect(uid).toMatch(/^2\.25\.(0|[1-9][0-9]*)$/);
    expect(uid.length).toBeLessThanOrEqual(64);
    expect(BigInt(uid.slice(5)) < 2n ** 128n).toBe(true);
    expect(pseudonymousUid(SECRET, '1.2.3.4')).toBe(uid);
    expect(pseudonymousUid(SECRET, '1.2.3.5')).not.toBe(uid);
    expect(pseudonymousUid('another-secret-entirely', '1.2.3.4')).not.toBe(uid);
  });

  it('reads ages from PatientAge or from the birth date before both are dropped', () => {
    expect(ageAtStudy('045Y', null, null)).toBe(45);
    expect(ageAtStudy('006M', null, null)).toBe(0.5);
    expect(ageAtStudy(null, parseDicomDate('19800615'), parseDicomDate('20200615'))).toBeCloseTo(40, 1);
    expect(ageAtStudy('999Y', null, null)).toBeNull();
    expect(ageAtStudy(null, parseDicomDate('20210101'), parseDicomDate('20200101'))).toBeNull();
    expect(parseDicomDate('20200230')).toBeNull();
    expect(parseDicomDate('2020.02.03')).toEqual(new Date(Date.UTC(2020, 1, 3)));
  });

  it('gives a file without a Patient ID a patient per study, not one shared by all such files', () => {
    const a = deidentify({ StudyInstanceUID: '1.1' }, SECRET).patientKeyHash;
    const b = deidentify({ StudyInstanceUID: '1.2' }, SECRET).patientKeyHash;
    expect(a).not.toBe(b);
  });
});
