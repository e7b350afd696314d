import { createHash, randomBytes } from 'node:crypto';

/** A new UID under the 2.25 root (PS3.5 §B.2): a random 128-bit UUID as a decimal integer. */
export function randomUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString(10)}`;
}

/** The same 2.25 UID every time for the same name (tracking UIDs stay stable over a lesion's reports). */
export function stableUid(name: string): string {
  const digest = createHash('sha256').update(`lesion-retrieval-service:${name}`).digest('hex').slice(0, 32);
  return `2.25.${BigInt(`0x${digest}`).toString(10)}`;
}

/** The UID that names this software as the writer of its DICOM files. */
export const IMPLEMENTATION_CLASS_UID = stableUid('implementation');
