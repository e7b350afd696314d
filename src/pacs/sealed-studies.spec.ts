import { MAX_SEALED_STUDIES, parseJobPayload } from '../jobs/job-payloads';
import { openStudies, sealStudies, SealedStudiesError } from './sealed-studies';

const SECRET = 'unit-sealed-secret-0123456789';
const JOB = '6f1c1f8e-0d7e-4a43-9a57-1f2b9f1e8c11';
const UIDS = ['1.2.826.0.1.3680043.78.1', '1.2.826.0.1.3680043.78.2'];

describe('sealed studies of a queued PACS import', () => {
  it('opens what it sealed for the same job, and the sealed text holds no UID', () => {
    const sealed = sealStudies(SECRET, JOB, UIDS);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sealed).not.toMatch(/3680043|1\.2\.826/);
    expect(openStudies(SECRET, JOB, sealed)).toEqual(UIDS);
    // A fresh IV each time: two payloads of one request do not show they name the same studies.
    expect(sealStudies(SECRET, JOB, UIDS)).not.toBe(sealed);
  });

  it.each([
    ['another secret', (sealed: string) => openStudies('another-secret-0123456789', JOB, sealed), /DEID_SECRET/],
    ['another job', (sealed: string) => openStudies(SECRET, '00000000-0000-4000-8000-000000000000', sealed), /cannot be opened/],
    ['one altered character', (sealed: string) => openStudies(SECRET, JOB, `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'BB' : 'AA'}`), /cannot be opened/],
    ['a truncated text', (sealed: string) => openStudies(SECRET, JOB, sealed.slice(0, 30)), /truncated/],
  ])('refuses %s', (_what, open, message) => {
    const sealed = sealStudies(SECRET, JOB, UIDS);
    expect(() => open(sealed)).toThrow(SealedStudiesError);
    expect(() => open(sealed)).toThrow(message);
  });

  it('opens only 1-100 DICOM UIDs', () => {
    for (const content of [[], ['1.2.x'], ['1.2.3', 5], Array.from({ length: 101 }, (_, i) => `1.2.${i + 1}`)]) {
      expect(() => openStudies(SECRET, JOB, sealStudies(SECRET, JOB, content as string[]))).toThrow(/not 1-100 DICOM UIDs/);
    }
  });

  it('seals the largest request (100 UIDs of 64 characters) within the bound the payload check allows', () => {
    const longest = Array.from({ length: 100 }, (_, i) => `1.${i + 1}.${'9'.repeat(61 - String(i + 1).length)}`);
    expect(longest.every((uid) => uid.length === 64)).toBe(true);
    const studies = sealStudies(SECRET, JOB, longest);
    expect(studies.length).toBeLessThanOrEqual(MAX_SEALED_STUDIES);
    const payload = parseJobPayload('pacs-import', { jobId: JOB, source: 'pacs', dataset: 'hospital', studies });
    expect(openStudies(SECRET, JOB, payload.studies)).toEqual(longest);
  });
});
