import { createHmac } from 'node:crypto';

/** Keyed hashes under the de-identification secret: stable per secret, not reversible without it. */
function hmac(secret: string, purpose: string, value: string): Buffer {
  return createHmac('sha256', secret).update(purpose).update('\0').update(value).digest();
}

/**
 * A file's path in an imported folder as a keyed reference (`key:` + 16 hex of HMAC-SHA256): folder names in a
 * hospital export can name patients (`DOE_JOHN/`), so ingest errors store this, never the path. Whoever holds
 * DEID_SECRET can find the file again by hashing the folder's paths.
 */
export function filePathKey(secret: string, relPath: string): string {
  return `key:${hmac(secret, 'path', relPath).subarray(0, 8).toString('hex')}`;
}

/** The patient's key: HMAC-SHA256 of (issuer of Patient ID, Patient ID), hex. */
export function patientKeyHash(secret: string, issuer: string, patientId: string): string {
  return hmac(secret, 'patient', `${issuer.trim()}\0${patientId.trim()}`).toString('hex');
}

/** Shifts span whole days in this range, so intervals between a patient's studies stay exact. */
export const DATE_SHIFT_DAYS = { min: -3650, max: -365 } as const;

/** The patient's date offset in whole days, from the secret and the patient's key. */
export function dateShiftDays(secret: string, keyHash: string): number {
  const span = DATE_SHIFT_DAYS.max - DATE_SHIFT_DAYS.min + 1;
  return DATE_SHIFT_DAYS.min + (hmac(secret, 'date-shift', keyHash).readUInt32BE(0) % span);
}

/** `2.25.` + the decimal of 128 bits of HMAC(secret, uid): a valid UID (≤ 44 characters), stable across imports. */
export function pseudonymousUid(secret: string, uid: string): string {
  const bits = hmac(secret, 'uid', uid.trim().replace(/\0+$/, '')).subarray(0, 16).toString('hex');
  return `2.25.${BigInt(`0x${bits}`).toString()}`;
}

/** A DICOM DA value (YYYYMMDD, or the old YYYY.MM.DD) as a UTC date; null when it is not a real date. */
export function parseDicomDate(text: string | null | undefined): Date | null {
  const m = /^\s*(\d{4})\.?(\d{2})\.?(\d{2})\s*$/.exec(text ?? '');
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1850 || year > 2200) return null;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : null;
}

/** The date moved by whole days, as YYYY-MM-DD (what PostgreSQL's date takes). */
export function shiftDate(date: Date, days: number): string {
  return new Date(date.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

const AGE_UNIT_YEARS: Record<string, number> = { Y: 1, M: 1 / 12, W: 7 / 365.25, D: 1 / 365.25 };

/**
 * Age at the study in years: (0010,1010) PatientAge ("nnnY|M|W|D") when present, else the birth date
 * against the (unshifted) study date. Read before both are discarded; null when neither gives 0..150.
 */
export function ageAtStudy(patientAge: string | null | undefined, birthDate: Date | null, studyDate: Date | null): number | null {
  const m = /^\s*(\d{1,3})\s*([YMWD])\s*$/i.exec(patientAge ?? '');
  let years: number | null = null;
  if (m) years = Number(m[1]) * AGE_UNIT_YEARS[m[2].toUpperCase()];
  else if (birthDate && studyDate) years = (studyDate.getTime() - birthDate.getTime()) / (365.25 * 86_400_000);
  if (years === null || !Number.isFinite(years) || years < 0 || years >= 150) return null;
  return Math.round(years * 100) / 100;
}
