/** A DICOM UI value: digits and dots, components without leading zeros, at most 64 characters (PS3.5 §9.1). */
export const DICOM_UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/;
export const MAX_UID_LENGTH = 64;

export function isDicomUid(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_UID_LENGTH && DICOM_UID.test(value);
}
