import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { isDicomUid } from '../dicomweb/dicom-uid';
import { MAX_QUERY_STUDIES } from '../ingest-jobs/ingest.types';

/** A queued PACS import's studies could not be read back (another DEID_SECRET, or altered on the way). */
export class SealedStudiesError extends Error {}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The sealing key: derived from the de-identification secret, so every process that may import can read it. */
function key(secret: string): Buffer {
  return createHmac('sha256', secret).update('pacs-import-job-studies').digest();
}

/**
 * The study UIDs a queued PACS import retrieves, sealed for the queue: AES-256-GCM under a key derived
 * from the secret, the job id as associated data (a payload moved to another job does not open). Base64url
 * of IV ‖ tag ‖ ciphertext: the UIDs identify the source's studies and Redis keeps finished payloads.
 */
export function sealStudies(secret: string, jobId: string, uids: readonly string[]): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key(secret), iv).setAAD(Buffer.from(jobId));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(uids), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

/** The UIDs sealed by `sealStudies` for this job: 1..MAX_QUERY_STUDIES DICOM UIDs, or SealedStudiesError. */
export function openStudies(secret: string, jobId: string, sealed: string): string[] {
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length <= IV_BYTES + TAG_BYTES) throw new SealedStudiesError('the queued studies are truncated');
  let text: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key(secret), bytes.subarray(0, IV_BYTES)).setAAD(Buffer.from(jobId));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    text = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SealedStudiesError('the queued studies cannot be opened: is DEID_SECRET the same on the api and this worker?');
  }
  let uids: unknown;
  try {
    uids = JSON.parse(text);
  } catch {
    uids = null;
  }
  if (!Array.isArray(uids) || uids.length < 1 || uids.length > MAX_QUERY_STUDIES || !uids.every(isDicomUid)) {
    throw new SealedStudiesError(`the queued studies are not 1-${MAX_QUERY_STUDIES} DICOM UIDs`);
  }
  return uids;
}
