import { writeDicom } from '../imaging/dicom-writer.testing';
import { InstanceHeaderError, readInstanceHeader } from './instance-header';

describe('readInstanceHeader', () => {
  it('reads UIDs, frames, pixel presence and the patient identity (for the keyed hash only)', () => {
    const header = readInstanceHeader(
      writeDicom({
        uids: { study: '1.2.3', series: '1.2.3.4', sop: '1.2.3.4.5' },
        numberOfFrames: 3,
        elements: [
          { tag: 0x00100020, vr: 'LO', value: 'PID-1' },
          { tag: 0x00100021, vr: 'LO', value: 'ISSUER' },
        ],
      }),
    );
    expect(header).toMatchObject({
      sopInstanceUid: '1.2.3.4.5',
      studyInstanceUid: '1.2.3',
      numberOfFrames: 3,
      hasPixelData: true,
      modality: 'CT',
      patientId: 'PID-1',
      issuerOfPatientId: 'ISSUER',
    });
  });

  it('sees an instance without pixel data, and defaults to one frame', () => {
    expect(readInstanceHeader(writeDicom({ omitPixelData: true }))).toMatchObject({ hasPixelData: false, numberOfFrames: 1 });
  });

  it('refuses unreadable bytes and frame counts out of bounds', () => {
    expect(() => readInstanceHeader(new Uint8Array([1, 2, 3]))).toThrow(InstanceHeaderError);
    expect(() => readInstanceHeader(writeDicom({ elements: [{ tag: 0x00280008, vr: 'IS', value: '999999999' }] }))).toThrow(/NumberOfFrames/);
    expect(() => readInstanceHeader(writeDicom({ elements: [{ tag: 0x00280008, vr: 'IS', value: '-1' }] }))).toThrow(/NumberOfFrames/);
  });
});
