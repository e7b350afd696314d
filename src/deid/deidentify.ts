import { DEID_RULES } from './deid-rules';
import { ageAtStudy, dateShiftDays, parseDicomDate, patientKeyHash, pseudonymousUid, shiftDate } from './pseudonym';

/** Attribute values as a file states them (text), by the keyword of their rule; absent ones are undefined. */
export type RawAttributes = Partial<Record<string, string>>;

export interface DeidentifiedAttributes {
  /** HMAC of (issuer, Patient ID): the input of the pseudonym table, never the ID. */
  patientKeyHash: string;
  sex: 'M' | 'F' | null;
  ageYears: number | null;
  /** The patient's shift in whole days (negative). */
  dateShiftDays: number;
  /**
   * What survives, by keyword: 'keep' values as read, 'uid' values replaced, 'shift-date' values shifted
   * (YYYY-MM-DD). Nothing whose rule is remove, patient-key or age-source is ever here.
   */
  values: Partial<Record<string, string>>;
}

/**
 * Applies DEID_RULES to one file's attributes. A file without a Patient ID gets a key from its study UID:
 * one unknown patient per study, never all such files merged into one person.
 */
export function deidentify(raw: RawAttributes, secret: string): DeidentifiedAttributes {
  const patientId = raw.PatientID?.trim() || `(no patient id) ${raw.StudyInstanceUID ?? ''}`;
  const keyHash = patientKeyHash(secret, raw.IssuerOfPatientID ?? '', patientId);
  const shift = dateShiftDays(secret, keyHash);
  const studyDate = parseDicomDate(raw.StudyDate);
  const values: Partial<Record<string, string>> = {};
  for (const rule of DEID_RULES) {
    const value = raw[rule.keyword];
    if (value === undefined || value === '') continue;
    switch (rule.action) {
      case 'keep':
        values[rule.keyword] = value;
        break;
      case 'uid':
        values[rule.keyword] = pseudonymousUid(secret, value);
        break;
      case 'shift-date': {
        const date = parseDicomDate(value);
        if (date) values[rule.keyword] = shiftDate(date, shift);
        break;
      }
      case 'remove':
      case 'patient-key':
      case 'age-source':
        break;
    }
  }
  const sex = raw.PatientSex?.trim().toUpperCase();
  return {
    patientKeyHash: keyHash,
    sex: sex === 'M' || sex === 'F' ? sex : null,
    ageYears: ageAtStudy(raw.PatientAge, parseDicomDate(raw.PatientBirthDate), studyDate),
    dateShiftDays: shift,
    values,
  };
}
