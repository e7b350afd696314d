import { ALL_DATASETS, scopeOf } from '../common/dataset-scope';
import { UnprocessableEntityException } from '@nestjs/common';
import { loadConfig } from '../config/app-config';
import { writeDicom } from '../imaging/dicom-writer.testing';
import { DicomWebReferenceDto } from './dicomweb.dto';
import { DicomWebService } from './dicomweb.service';
import { NoPriorLesionFinder, PriorLesion, PriorLesionFinder } from './prior-lesion-finder.port';
import { ReferencedSliceService } from './referenced-slice.service';

const REF = Object.assign(new DicomWebReferenceDto(), {
  source: 'pacs',
  studyInstanceUid: '1.2.3',
  seriesInstanceUid: '1.2.3.4',
  sopInstanceUid: '1.2.3.4.5',
  frame: 1,
});
const IDENTITY = [
  { tag: 0x00100020, vr: 'LO', value: 'PID-9' },
  { tag: 0x00100021, vr: 'LO', value: 'ISSUER-X' },
];

function service(instance: Uint8Array, finder: PriorLesionFinder = new NoPriorLesionFinder()) {
  const asked: { maxBytes?: number }[] = [];
  const dicomWeb = {
    retrieveInstance: async (_s: string, _r: unknown, maxBytes?: number) => (asked.push({ maxBytes }), Buffer.from(instance)),
  } as unknown as DicomWebService;
  const config = loadConfig({ MAX_UPLOAD_BYTES: '2000000' });
  return { svc: new ReferencedSliceService(dicomWeb, finder, config), asked };
}

describe('ReferencedSliceService', () => {
  it('fetches an image instance, bounded by MAX_UPLOAD_BYTES', async () => {
    const { svc, asked } = service(writeDicom({ uids: { study: '1.2.3', series: '1.2.3.4', sop: '1.2.3.4.5' } }));
    const slice = await svc.fetch(REF);
    expect(slice.header.hasPixelData).toBe(true);
    expect(asked[0].maxBytes).toBe(2_000_000);
  });

  it('answers 422 for a non-image, a frame beyond the instance, another instance than asked, and unreadable bytes', async () => {
    const cases: [Uint8Array, DicomWebReferenceDto, RegExp][] = [
      [writeDicom({ omitPixelData: true, modality: 'SR', uids: { sop: '1.2.3.4.5' } }), REF, /is not an image \(no pixel data; modality SR\)/],
      [
        writeDicom({ uids: { sop: '1.2.3.4.5' } }),
        Object.assign(new DicomWebReferenceDto(), { ...REF, frame: 2 }),
        /dicomweb.frame 2 is out of range: instance 1\.2\.3\.4\.5 has 1 frame/,
      ],
      [writeDicom({ uids: { sop: '9.9' } }), REF, /answered another instance than 1\.2\.3\.4\.5/],
      [new Uint8Array([0, 1, 2]), REF, /not a readable DICOM instance/],
    ];
    for (const [bytes, ref, message] of cases) {
      const thrown = await service(bytes)
        .svc.fetch(ref)
        .catch((e: Error) => e);
      expect(thrown).toBeInstanceOf(UnprocessableEntityException);
      expect((thrown as Error).message).toMatch(message);
    }
  });

  const prior = (id: number): PriorLesion => ({
    id,
    dataset: 'hospital',
    patient: { index: 1 },
    study: { index: 1, date: '2015-01-01' },
    diameters: { longAxisMm: 12, shortAxisMm: 8 },
    coarseType: { code: 4, name: 'lung' },
    trackId: null,
  });

  it("hands the header identity and the caller's datasets to the prior finder only, and answers pseudonymous priors", async () => {
    const seen: unknown[] = [];
    const finder: PriorLesionFinder = { findPriors: async (patient, datasets) => (seen.push({ patient, datasets }), [prior(7), prior(8)]) };
    const { svc } = service(writeDicom({ uids: { sop: '1.2.3.4.5' }, elements: IDENTITY }), finder);
    const slice = await svc.fetch(REF);
    const findings = await svc.findings(REF, slice.header, scopeOf(['hospital']));
    expect(seen).toEqual([{ patient: { issuerOfPatientId: 'ISSUER-X', patientId: 'PID-9' }, datasets: ['hospital'] }]);
    expect(findings.priors).toEqual({ state: 'found', lesions: [prior(7), prior(8)] });
    expect(JSON.stringify(findings)).not.toMatch(/PID-9|ISSUER-X/);
  });

  it('says none when the patient has no archived lesions or the header has no Patient ID, unavailable when the finder cannot run', async () => {
    const empty: PriorLesionFinder = { findPriors: async () => [] };
    const withId = service(writeDicom({ uids: { sop: '1.2.3.4.5' }, elements: IDENTITY }), empty);
    expect((await withId.svc.findings(REF, (await withId.svc.fetch(REF)).header, ALL_DATASETS)).priors).toEqual({ state: 'none', lesions: [] });
    const asked: unknown[] = [];
    const noId = service(writeDicom({ uids: { sop: '1.2.3.4.5' } }), { findPriors: async (p) => (asked.push(p), [prior(1)]) });
    expect((await noId.svc.findings(REF, (await noId.svc.fetch(REF)).header, ALL_DATASETS)).priors).toEqual({ state: 'none', lesions: [] });
    expect(asked).toEqual([]);
    const off = service(writeDicom({ uids: { sop: '1.2.3.4.5' }, elements: IDENTITY }));
    expect((await off.svc.findings(REF, (await off.svc.fetch(REF)).header, ALL_DATASETS)).priors).toEqual({ state: 'unavailable', lesions: [] });
  });
});
