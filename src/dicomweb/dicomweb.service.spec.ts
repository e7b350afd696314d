import { BadGatewayException, BadRequestException, GatewayTimeoutException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { loadConfig } from '../config/app-config';
import { DicomWebError, DicomWebRepository, DicomWebRequest, DicomWebResponse } from './dicomweb.repository';
import { DicomWebSource } from '../config/dicomweb-sources';
import { DicomWebService } from './dicomweb.service';
import { buildMultipartRelated } from './multipart-related';

/** A PACS in memory: answers (or fails) per route, and records what was asked. */
class FakeRepository extends DicomWebRepository {
  readonly asked: { source: string; route: string; options: DicomWebRequest }[] = [];
  readonly written = new Map<string, number>();
  constructor(private readonly answer: (route: string, options: DicomWebRequest) => DicomWebResponse) {
    super();
  }
  override async request(source: DicomWebSource, route: string, options: DicomWebRequest): Promise<DicomWebResponse> {
    this.asked.push({ source: source.name, route, options });
    return this.answer(route, options);
  }
  override async writeInstance(folder: string, name: string, bytes: Uint8Array): Promise<void> {
    this.written.set(`${folder}/${name}`, bytes.length);
  }
}

const config = loadConfig({
  DICOMWEB_SOURCES: JSON.stringify({ pacs: { url: 'http://pacs.example/dicom-web', authorization: 'Bearer secret-token' } }),
  DICOMWEB_TIMEOUT_MS: '2000',
});
const REF = { studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4', sopInstanceUid: '1.2.3.4.5' };
const fail = (error: DicomWebError) => () => {
  throw error;
};
const json = (value: unknown): DicomWebResponse => ({ status: 200, contentType: 'application/dicom+json', body: Buffer.from(JSON.stringify(value)) });

describe('DicomWebService', () => {
  it('builds QIDO-RS queries from patient, date range and modality, with the configured timeout', async () => {
    const repo = new FakeRepository(() => json([{ '0020000D': { vr: 'UI', Value: ['1.2.3'] } }]));
    const found = await new DicomWebService(config, repo).searchStudies('pacs', {
      patientId: 'P 1',
      studyDateFrom: '20200101',
      studyDateTo: '20201231',
      modality: 'CT',
      limit: 5000,
    });
    expect(found).toHaveLength(1);
    expect(repo.asked[0].route).toBe('/studies?PatientID=P+1&StudyDate=20200101-20201231&ModalitiesInStudy=CT&limit=1000');
    expect(repo.asked[0].options).toMatchObject({ accept: 'application/dicom+json', timeoutMs: 2000 });
  });

  it('retrieves one instance from a multipart/related answer', async () => {
    const part = Buffer.from('DICM-bytes');
    const built = buildMultipartRelated([{ contentType: 'application/dicom', body: part }], 'b-1');
    const repo = new FakeRepository(() => ({ status: 200, contentType: built.contentType, body: built.body }));
    expect((await new DicomWebService(config, repo).retrieveInstance('pacs', REF)).toString()).toBe('DICM-bytes');
    expect(repo.asked[0].route).toBe('/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.5');
  });

  it('turns failures into answers naming the source, never its URL or credentials', async () => {
    const cases: [DicomWebError, unknown, RegExp][] = [
      [new DicomWebError('unreachable', 'x'), BadGatewayException, /^DICOMweb source "pacs" is unreachable$/],
      [new DicomWebError('timeout', 'x'), GatewayTimeoutException, /did not answer within 2000 ms/],
      [new DicomWebError('not-found', 'x', 404), NotFoundException, /^instance 1\.2\.3\.4\.5 not found on DICOMweb source "pacs"$/],
      [new DicomWebError('too-large', 'x', 200), PayloadTooLargeException, /larger than the service takes/],
      [new DicomWebError('status', 'x', 500), BadGatewayException, /answered 500/],
    ];
    for (const [error, type, message] of cases) {
      const service = new DicomWebService(config, new FakeRepository(fail(error)));
      const thrown = await service.retrieveInstance('pacs', REF).catch((e: Error) => e);
      expect(thrown).toBeInstanceOf(type);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toMatch(/pacs\.example|secret-token/);
    }
  });

  it('refuses an unknown source and a bad UID before any request', async () => {
    const repo = new FakeRepository(() => json([]));
    const service = new DicomWebService(config, repo);
    await expect(service.retrieveInstance('other', REF)).rejects.toThrow(/"other" is not a configured DICOMweb source \(configured: pacs\)/);
    await expect(service.retrieveInstance('pacs', { ...REF, sopInstanceUid: '1.2/../x' })).rejects.toBeInstanceOf(BadRequestException);
    expect(repo.asked).toHaveLength(0);
  });

  it('answers 502 for an unreadable multipart answer or one with two parts', async () => {
    const two = buildMultipartRelated(
      [
        { contentType: 'application/dicom', body: Buffer.from('a') },
        { contentType: 'application/dicom', body: Buffer.from('b') },
      ],
      'b-2',
    );
    for (const body of [
      { status: 200, contentType: 'multipart/related; boundary=zz', body: Buffer.from('garbage') },
      { status: 200, contentType: two.contentType, body: two.body },
    ]) {
      await expect(new DicomWebService(config, new FakeRepository(() => body)).retrieveInstance('pacs', REF)).rejects.toBeInstanceOf(BadGatewayException);
    }
  });

  it('reads the STOW-RS answer: accepted and refused SOP Instance UIDs', async () => {
    const answer = {
      '00081199': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: ['1.2.9'] } }] },
      '00081198': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: ['1.2.8'] } }] },
    };
    const repo = new FakeRepository(() => json(answer));
    expect(await new DicomWebService(config, repo).store('pacs', [new Uint8Array([1, 2, 3])])).toEqual({ stored: ['1.2.9'], failed: ['1.2.8'] });
    expect(repo.asked[0]).toMatchObject({
      route: '/studies',
      options: { method: 'POST', contentType: expect.stringMatching(/^multipart\/related; type="application\/dicom"; boundary=lrs-[0-9a-f]{32}$/) },
    });
  });

  it('retrieves a study into a folder one instance at a time, skipping what would pass the cache bound', async () => {
    const list = [1, 2, 3].map((i) => ({ '0020000E': { vr: 'UI', Value: ['1.2.3.4'] }, '00080018': { vr: 'UI', Value: [`1.2.3.4.${i}`] } }));
    const repo = new FakeRepository((route, options) => {
      if (route.startsWith('/studies/1.2.3/instances')) return json(list);
      if (options.maxBytes < 400) throw new DicomWebError('too-large', 'x', 200);
      return { status: 200, contentType: 'application/dicom', body: Buffer.alloc(400) };
    });
    const result = await new DicomWebService(config, repo).retrieveStudyToFolder('pacs', '1.2.3', '/cache/study', 1000);
    expect(result).toEqual({ files: ['1.2.3.4.1.dcm', '1.2.3.4.2.dcm'], bytes: 800, skipped: 1 });
    expect([...repo.written.keys()]).toEqual(['/cache/study/1.2.3.4.1.dcm', '/cache/study/1.2.3.4.2.dcm']);
  });
});
