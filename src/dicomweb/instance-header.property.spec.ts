import fc from 'fast-check';
import { writeDicom } from '../imaging/dicom-writer.testing';
import { InstanceHeaderError, readInstanceHeader } from './instance-header';

const VALID = writeDicom({ uids: { study: '1.2.3', series: '1.2.3.4', sop: '1.2.3.4.5' } });

describe('readInstanceHeader on hostile bytes (property)', () => {
  it('either reads a bounded header or throws InstanceHeaderError, for corrupted and truncated instances', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(VALID.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }), fc.nat(VALID.length), (edits, keep) => {
        const bytes = VALID.slice(0, Math.max(132, keep));
        for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
        try {
          const header = readInstanceHeader(bytes);
          expect(header.numberOfFrames).toBeGreaterThanOrEqual(1);
          expect(header.numberOfFrames).toBeLessThanOrEqual(100_000);
          for (const text of [header.sopInstanceUid, header.patientId, header.modality]) if (text !== null) expect(text.length).toBeLessThanOrEqual(256);
        } catch (error) {
          expect(error).toBeInstanceOf(InstanceHeaderError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
