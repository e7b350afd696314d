import fc from 'fast-check';
import { InvalidJobPayloadError, JOB_NAMES, MAX_SEALED_STUDIES, parseJobPayload } from './job-payloads';

const JOB = '6f1c1f8e-0d7e-4a43-9a57-1f2b9f1e8c11';
const ingest = (request: object, jobId: unknown = JOB) => ({
  jobId,
  request: { format: 'samples', csvPath: '/data/a.csv', imagesDir: '/data/img', dataset: 'real-samples', pathsFrom: 'api', ...request },
});

describe('job payloads read back from the queue', () => {
  it('accepts a well-formed ingest payload and returns only its known fields', () => {
    const parsed = parseJobPayload('ingest', { ...ingest({ huWindow: { low: -1024, high: 3071 }, extra: 'x' }), more: 1 });
    expect(parsed).toEqual({
      jobId: JOB,
      request: {
        format: 'samples',
        csvPath: '/data/a.csv',
        imagesDir: '/data/img',
        dataset: 'real-samples',
        pathsFrom: 'api',
        huWindow: { low: -1024, high: 3071 },
      },
    });
  });

  it.each([
    ['a job id that is not a UUID', ingest({}, 'nope'), /jobId must be a UUID/],
    ['an unknown format', ingest({ format: 'dicom' }), /request.format/],
    ['a dataset with capitals', ingest({ dataset: 'Real' }), /request.dataset/],
    ['a path with NUL', ingest({ csvPath: '/data/a\0.csv' }), /request.csvPath/],
    ['an over-long path', ingest({ imagesDir: '/'.repeat(5000) }), /request.imagesDir/],
    ['an unknown path origin', ingest({ pathsFrom: 'anywhere' }), /request.pathsFrom/],
    ['an inverted window', ingest({ huWindow: { low: 10, high: 0 } }), /high > low/],
    ['a window beyond 16 bits', ingest({ huWindow: { low: -40000, high: 0 } }), /huWindow.low/],
    ['no request', { jobId: JOB }, /request must be an object/],
    ['an array', [], /payload must be an object/],
  ])('refuses %s', (_what, data, message) => {
    expect(() => parseJobPayload('ingest', data)).toThrow(InvalidJobPayloadError);
    expect(() => parseJobPayload('ingest', data)).toThrow(message);
  });

  it('accepts a model-embedding payload with a model id and refuses anything else', () => {
    const modelId = 'a'.repeat(64);
    expect(parseJobPayload('model-embedding', { modelId, extra: 1 })).toEqual({ modelId, activate: true });
    expect(parseJobPayload('model-embedding', { modelId, activate: false })).toEqual({ modelId, activate: false });
    expect(() => parseJobPayload('model-embedding', { modelId, activate: 'no' })).toThrow(/activate must be true or false/);
    expect(() => parseJobPayload('model-embedding', { modelId: '../x' })).toThrow(/modelId must be 64 lowercase hex digits/);
    expect(() => parseJobPayload('model-embedding', {})).toThrow(InvalidJobPayloadError);
  });

  it('checks detection options against the same bounds as the HTTP request', () => {
    expect(parseJobPayload('detection', { jobId: JOB, series: 'Images_png/000001_01_01', spacingMm: 0.7, scoreThreshold: 0.5 })).toEqual({
      jobId: JOB,
      series: 'Images_png/000001_01_01',
      spacingMm: 0.7,
      scoreThreshold: 0.5,
    });
    expect(() => parseJobPayload('detection', { jobId: JOB, series: 'x', spacingMm: 0 })).toThrow(/spacingMm/);
    expect(() => parseJobPayload('detection', { jobId: JOB, series: 'x', sliceIntervalMm: Number.NaN })).toThrow(/sliceIntervalMm/);
    expect(() => parseJobPayload('detection', { jobId: JOB, series: '' })).toThrow(/series/);
    expect(() => parseJobPayload('nope' as 'ingest', {})).toThrow(/unknown job name/);
  });

  it('reads a DICOM import payload field by field', () => {
    const request = { dir: '/archive/in', dataset: 'archive', pathsFrom: 'api' };
    expect(parseJobPayload('dicom-import', { jobId: JOB, request: { ...request, other: 1 } })).toEqual({ jobId: JOB, request });
    expect(parseJobPayload('dicom-import', { jobId: JOB, request: { ...request, annotations: '/archive/a.csv' } }).request.annotations).toBe('/archive/a.csv');
    expect(() => parseJobPayload('dicom-import', { jobId: JOB, request: { ...request, dir: '' } })).toThrow(/request.dir/);
    expect(() => parseJobPayload('dicom-import', { jobId: JOB, request: { ...request, dataset: '../x' } })).toThrow(/request.dataset/);
    expect(() => parseJobPayload('dicom-import', { jobId: JOB, request: { ...request, annotations: 5 } })).toThrow(/request.annotations/);
    expect(() => parseJobPayload('dicom-import', { jobId: 'x', request })).toThrow(/jobId/);
  });

  it('reads a PACS import payload field by field: a configured-source name, a dataset, the studies sealed (base64url, bounded)', () => {
    const payload = { jobId: JOB, source: 'pacs.main-1', dataset: 'hospital', studies: 'q83vEjRWeJq8_-0' };
    expect(parseJobPayload('pacs-import', { ...payload, query: { patientId: 'PM-1' } })).toEqual(payload);
    expect(() => parseJobPayload('pacs-import', { ...payload, jobId: 'x' })).toThrow(/jobId must be a UUID/);
    expect(() => parseJobPayload('pacs-import', { ...payload, source: '../pacs' })).toThrow(/source must be 1-64 letters/);
    expect(() => parseJobPayload('pacs-import', { ...payload, source: 'p'.repeat(65) })).toThrow(/source must be a string of 1-64/);
    expect(() => parseJobPayload('pacs-import', { ...payload, dataset: 'Hospital' })).toThrow(/dataset must be 1-64 lowercase/);
    // Clear UIDs are not base64url (dots): a payload with them is refused, never passed on.
    expect(() => parseJobPayload('pacs-import', { ...payload, studies: '1.2.840.1' })).toThrow(/studies must be base64url/);
    expect(() => parseJobPayload('pacs-import', { ...payload, studies: ['x'] })).toThrow(/studies must be a string/);
    expect(() => parseJobPayload('pacs-import', { ...payload, studies: 'A'.repeat(MAX_SEALED_STUDIES + 1) })).toThrow(/studies must be a string of 1-12000/);
    expect(parseJobPayload('pacs-import', { ...payload, studies: 'A'.repeat(MAX_SEALED_STUDIES) }).studies).toHaveLength(MAX_SEALED_STUDIES);
  });

  it('reads a tag-prediction payload as its force flag alone', () => {
    expect(parseJobPayload('tag-prediction', { force: true, extra: 1 })).toEqual({ force: true });
    expect(() => parseJobPayload('tag-prediction', { force: 'yes' })).toThrow(/force must be true or false/);
    expect(() => parseJobPayload('tag-prediction', {})).toThrow(InvalidJobPayloadError);
  });

  it('never throws anything but InvalidJobPayloadError on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.constantFrom(...JOB_NAMES), fc.jsonValue(), (name, data) => {
        try {
          parseJobPayload(name, data);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidJobPayloadError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
