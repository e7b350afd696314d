import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Fhir } from 'fhir';
import * as jpeg from 'jpeg-js';
import { DicomWebService } from '../../src/dicomweb/dicomweb.service';
import { writeDicom } from '../../src/imaging/dicom-writer.testing';
import { buildMeasurementReportSr, readDicomNaturalized } from '../../src/reporting/measurement-report-sr';
import { fullReport } from '../../src/reporting/report-fixture.testing';
import { describeWithOrthanc, freePort, OrthancServer, startOrthanc } from '../helpers/orthanc';
import { covers } from '../helpers/route-coverage';
import { bearer, createSampleApp, SampleApp, SHARED_DIR } from '../helpers/test-app';

const REAL_SAMPLES = path.join(SHARED_DIR, 'data', 'deeplesion-samples');
const HAVE_SAMPLES = fs.existsSync(path.join(REAL_SAMPLES, 'lesions.csv'));
const HAVE_DSRDUMP = spawnSync('dsrdump', ['--version']).status === 0;
const HAVE_DCIODVFY = spawnSync('which', ['dciodvfy']).status === 0;
if (!HAVE_SAMPLES) console.warn(`Skipping the DICOMweb reporting tests: ${REAL_SAMPLES} is absent`);
if (!HAVE_DSRDUMP) console.warn('dsrdump (dcmtk) is not installed: SR checks with it are skipped');
if (!HAVE_DCIODVFY) console.warn('dciodvfy (dicom3tools) is not installed: SR IOD checks with it are skipped');

// Identifying values of the source: none of them may appear in an answer.
const SOURCE_PATIENT_ID = 'SRC-PID-4711';
const SOURCE_PATIENT_NAME = 'Doe^Janet';
const STUDY = '1.2.826.0.1.3680043.8.498.18001';
const SERIES = `${STUDY}.1`;
const SOP = `${STUDY}.1.1`;
const BIG_SOP = `${STUDY}.1.2`;
const TIMEOUT_MS = 1500;
const MAX_UPLOAD = 1024 ** 2;

type Node = Record<string, unknown> & { ContentSequence?: Node[] };
const walk = (item: Node, out: Node[] = []): Node[] => {
  out.push(item);
  for (const child of item.ContentSequence ?? []) walk(child, out);
  return out;
};
const meaning = (item: Node) => ((item.ConceptNameCodeSequence as Node[] | undefined)?.[0]?.CodeMeaning as string | undefined) ?? '';

/** The first real DeepLesion key slice as a CT DICOM instance (HU = grey/255·4095 − 1024, 0.7 mm pixels). */
function realSliceInstance(): { bytes: Uint8Array; truth: { x1: number; y1: number; x2: number; y2: number } } {
  const [, row] = fs.readFileSync(path.join(REAL_SAMPLES, 'lesions.csv'), 'utf8').trim().split('\n');
  const c = row.split(',');
  const decoded = jpeg.decode(fs.readFileSync(path.join(REAL_SAMPLES, 'images', c[0])), { useTArray: true });
  const pixels = new Uint16Array(decoded.width * decoded.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round((decoded.data[i * 4] / 255) * 4095);
  const bytes = writeDicom({
    rows: decoded.height,
    columns: decoded.width,
    pixels,
    rescale: { slope: 1, intercept: -1024 },
    pixelSpacing: [0.7, 0.7],
    uids: { study: STUDY, series: SERIES, sop: SOP },
    elements: [
      { tag: 0x00080020, vr: 'DA', value: '20260115' },
      { tag: 0x00100010, vr: 'PN', value: SOURCE_PATIENT_NAME },
      { tag: 0x00100020, vr: 'LO', value: SOURCE_PATIENT_ID },
      { tag: 0x00100021, vr: 'LO', value: 'HOSPITAL-A' },
    ],
  });
  return { bytes, truth: { x1: +c[8], y1: +c[9], x2: +c[10], y2: +c[11] } };
}

function expectNoSourceIdentity(text: string): void {
  expect(text).not.toContain(SOURCE_PATIENT_ID);
  expect(text).not.toContain('Janet');
  expect(text).not.toContain('HOSPITAL-A');
}

/** dsrdump exits 0 and prints no error; dciodvfy prints no "Error" line. */
function checkSrWithDicomTools(bytes: Uint8Array): string {
  const file = path.join(os.tmpdir(), `lrs-sr-${process.pid}-${Date.now()}.dcm`);
  fs.writeFileSync(file, bytes);
  try {
    let dump = '';
    if (HAVE_DSRDUMP) {
      const run = spawnSync('dsrdump', [file], { encoding: 'utf8' });
      expect(run.stderr).not.toMatch(/^E:/m);
      expect(run.status).toBe(0);
      dump = run.stdout;
    }
    if (HAVE_DCIODVFY) {
      const run = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
      const output = `${run.stdout}${run.stderr}`;
      expect(output.split('\n').filter((l) => /^Error/.test(l))).toEqual([]);
      expect(output).toContain('ComprehensiveSR');
    }
    return dump;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

describeWithOrthanc('reporting-system integration against a real Orthanc (e2e)', () => {
  let orthanc: OrthancServer;
  let t: SampleApp;
  let slow: net.Server;
  const hanging: net.Socket[] = [];
  let truth: { x1: number; y1: number; x2: number; y2: number };
  const fhir = new Fhir();
  let NON_IMAGE: { series: string; sop: string };
  const ref = (overrides: Record<string, unknown> = {}) => ({
    source: 'orthanc',
    studyInstanceUid: STUDY,
    seriesInstanceUid: SERIES,
    sopInstanceUid: SOP,
    ...overrides,
  });

  beforeAll(async () => {
    orthanc = await startOrthanc();
    // A PACS that accepts connections and never answers.
    slow = net.createServer((socket) => hanging.push(socket));
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const closedPort = await freePort();
    const sources = {
      orthanc: orthanc.dicomWebUrl,
      closed: `http://127.0.0.1:${closedPort}/dicom-web`,
      slow: `http://127.0.0.1:${(slow.address() as net.AddressInfo).port}/dicom-web`,
    };
    t = await createSampleApp({ DICOMWEB_SOURCES: JSON.stringify(sources), DICOMWEB_TIMEOUT_MS: String(TIMEOUT_MS), MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
    // An instance over MAX_UPLOAD_BYTES (1024² 16-bit pixels).
    await orthanc.load(writeDicom({ rows: 1024, columns: 1024, uids: { study: STUDY, series: SERIES, sop: BIG_SOP } }));
    const nonImage = buildMeasurementReportSr(
      fullReport({ image: { ...fullReport().image, studyInstanceUid: STUDY, seriesInstanceUid: SERIES, sopInstanceUid: SOP } }),
    );
    NON_IMAGE = { series: nonImage.seriesInstanceUid, sop: nonImage.sopInstanceUid };
    await orthanc.load(nonImage.bytes);
    if (HAVE_SAMPLES) {
      const instance = realSliceInstance();
      truth = instance.truth;
      await orthanc.load(instance.bytes);
    }
  });
  afterAll(async () => {
    hanging.forEach((s) => s.destroy());
    slow?.close();
    await t?.close();
    await orthanc?.stop();
  });

  const it_ = HAVE_SAMPLES ? it : it.skip;
  const centre = () => ({ x: Math.round((truth.x1 + truth.x2) / 2), y: Math.round((truth.y1 + truth.y2) / 2) });

  it_('answers a similar search by DICOMweb reference, with spacing from the header and no identifying value of the source', async () => {
    covers('POST /api/v1/search/similar', 'success');
    const box = `${Math.floor(truth.x1)},${Math.floor(truth.y1)},${Math.ceil(truth.x2)},${Math.ceil(truth.y2)}`;
    const res = await t.http().post('/api/v1/search/similar').set(bearer(t.reader)).send({ dicomweb: ref(), box, k: 5 }).expect(200);
    expect(res.body.query.upload).toMatchObject({ width: 512, height: 512 });
    expect(res.body.hits).toHaveLength(5);
    expect(res.body.hits[0].similarity).toBeGreaterThan(res.body.hits[4].similarity - 1e-9);
    expect(res.body.dicomweb).toEqual({
      reference: { source: 'orthanc', studyInstanceUid: STUDY, seriesInstanceUid: SERIES, sopInstanceUid: SOP, frame: 1 },
      instance: { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', modality: 'CT', numberOfFrames: 1 },
      // The de-identification lookup is a stub until src/deid lands (PriorLesionFinder).
      priors: { state: 'unavailable', lesions: [] },
    });
    expectNoSourceIdentity(JSON.stringify(res.body));
  });

  it_('answers point-to-box and detection by DICOMweb reference: the box around the point, axes in mm from the header, similar lesions, tags', async () => {
    covers('POST /api/v1/detections/from-point', 'success');
    const { x, y } = centre();
    const res = await t.http().post('/api/v1/detections/from-point').set(bearer(t.reader)).send({ dicomweb: ref(), x, y }).expect(200);
    expect(res.body.box.x1).toBeLessThanOrEqual(x);
    expect(res.body.box.x2).toBeGreaterThanOrEqual(x);
    expect(res.body.image).toMatchObject({ width: 512, height: 512, spacingMm: 0.7, source: 'dicom' });
    expect(res.body.longAxisMm).toBeCloseTo(res.body.longAxisPx * 0.7, 0);
    expect(res.body.similar.length).toBeGreaterThan(0);
    expect(Array.isArray(res.body.tags)).toBe(true);
    expect(res.body.dicomweb.reference.sopInstanceUid).toBe(SOP);
    expectNoSourceIdentity(JSON.stringify(res.body));
    const detected = await t.http().post('/api/v1/detections').set(bearer(t.reader)).send({ dicomweb: ref(), scoreThreshold: 0 }).expect(200);
    expect(detected.body.image.source).toBe('dicom');
    expect(detected.body.detections.length).toBeGreaterThan(0);
    expect(detected.body.dicomweb.reference.sopInstanceUid).toBe(SOP);
  });

  let pointSr: Uint8Array;
  it_('answers point-to-box on the referenced image as a TID 1500 SR that dcmtk and dciodvfy accept, and Orthanc stores (STOW-RS)', async () => {
    covers('POST /api/v1/detections/from-point/report', 'success');
    const { x, y } = centre();
    const res = await t
      .http()
      .post('/api/v1/detections/from-point/report')
      .set(bearer(t.reader))
      .send({ dicomweb: ref(), x, y })
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-type']).toBe('application/dicom');
    pointSr = new Uint8Array(res.body as Buffer);
    expectNoSourceIdentity(Buffer.from(pointSr).toString('latin1'));
    const dump = checkSrWithDicomTools(pointSr);
    if (HAVE_DSRDUMP) expect(dump).toContain('Imaging Measurement Report');
    const ds = readDicomNaturalized(pointSr) as Node;
    expect(ds.StudyInstanceUID).toBe(STUDY);
    const items = walk(ds);
    const region = items.find((i) => meaning(i) === 'Image Region')!;
    expect(region.GraphicData).toHaveLength(10);
    expect((region.ContentSequence![0].ReferencedSOPSequence as Node[])[0].ReferencedSOPInstanceUID).toBe(SOP);
    expect(items.some((i) => meaning(i) === 'Long Axis' && i.ValueType === 'NUM')).toBe(true);
    expect(items.filter((i) => meaning(i) === 'Similar archived lesion').length).toBeGreaterThan(0);

    // The reporting system files it back on its PACS.
    const stored = await t.app.get(DicomWebService).store('orthanc', [pointSr]);
    expect(stored).toEqual({ stored: [ds.SOPInstanceUID], failed: [] });
    const instances = await orthanc.get<{ '00080018': { Value: string[] }; '00080016': { Value: string[] } }[]>(`/dicom-web/studies/${STUDY}/instances`);
    expect(instances.find((i) => i['00080018'].Value[0] === ds.SOPInstanceUID)?.['00080016'].Value[0]).toBe('1.2.840.10008.5.1.4.1.1.88.33');
  });

  it_('answers the same as a FHIR R4 Bundle that validates', async () => {
    const { x, y } = centre();
    const res = await t.http().post('/api/v1/detections/from-point/report').set(bearer(t.reader)).send({ dicomweb: ref(), x, y, format: 'fhir' }).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const bundle = JSON.parse(res.text);
    const result = fhir.validate(bundle, {});
    expect(result.messages.filter((m) => m.severity === 'error')).toEqual([]);
    const study = bundle.entry.find((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'ImagingStudy').resource;
    expect(study.identifier[0].value).toBe(`urn:oid:${STUDY}`);
    expectNoSourceIdentity(res.text);
  });

  it('reports an archived lesion as SR (with its track and similar cases) and FHIR, and STOWs the SR to the PACS', async () => {
    covers('GET /api/v1/lesions/{id}/report.dcm', 'success');
    covers('GET /api/v1/lesions/{id}/report.fhir.json', 'success');
    covers('POST /api/v1/lesions/{id}/report/stow', 'success');
    // A lesion with a prior in its track; the archive importer stores pseudonymous UIDs, given here by hand.
    const candidates: { id: number }[] = await t.db.query(
      `SELECT l.id FROM lesion l JOIN series se ON se.id = l.series_id JOIN study st ON st.id = se.study_id WHERE st.study_index > 1 ORDER BY l.id LIMIT 30`,
    );
    let lesionId = 0;
    for (const { id } of candidates) {
      const track = await t.http().get(`/api/v1/lesions/${id}/track`).set(bearer(t.reader)).expect(200);
      if (track.body.points.length >= 2 && track.body.points[track.body.points.length - 1].lesionId === id) {
        lesionId = id;
        break;
      }
    }
    expect(lesionId).toBeGreaterThan(0);
    await t.db.query(
      `UPDATE study SET study_instance_uid = '2.25.180001' WHERE id = (SELECT se.study_id FROM lesion l JOIN series se ON se.id = l.series_id WHERE l.id = $1)`,
      [lesionId],
    );
    await t.db.query(`UPDATE series SET series_instance_uid = '2.25.180002' WHERE id = (SELECT series_id FROM lesion WHERE id = $1)`, [lesionId]);
    await t.db.query(`UPDATE lesion SET sop_instance_uid = '2.25.180003' WHERE id = $1`, [lesionId]);

    const res = await t
      .http()
      .get(`/api/v1/lesions/${lesionId}/report.dcm`)
      .set(bearer(t.reader))
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-type']).toBe('application/dicom');
    const bytes = new Uint8Array(res.body as Buffer);
    checkSrWithDicomTools(bytes);
    const ds = readDicomNaturalized(bytes) as Node;
    expect(ds.StudyInstanceUID).toBe('2.25.180001');
    const items = walk(ds);
    expect(items.find((i) => meaning(i) === 'Tracking Identifier')!.TextValue).toBe(`lesion ${lesionId}`);
    expect(items.some((i) => meaning(i) === 'Prior long axis')).toBe(true);
    expect(items.some((i) => meaning(i) === 'Finding Site')).toBe(true);
    const region = items.find((i) => meaning(i) === 'Image Region')!;
    const lesion = (await t.http().get(`/api/v1/lesions/${lesionId}`).set(bearer(t.reader)).expect(200)).body;
    const corners = [
      lesion.box.x1,
      lesion.box.y1,
      lesion.box.x2,
      lesion.box.y1,
      lesion.box.x2,
      lesion.box.y2,
      lesion.box.x1,
      lesion.box.y2,
      lesion.box.x1,
      lesion.box.y1,
    ];
    // GraphicData is FL (32-bit float).
    (region.GraphicData as number[]).forEach((v, i) => expect(v).toBeCloseTo(corners[i], 3));
    const longAxis = items.find((i) => meaning(i) === 'Long Axis' && i.ValueType === 'NUM')!;
    expect(Number((longAxis.MeasuredValueSequence as Node[])[0].NumericValue)).toBeCloseTo(lesion.diameters.longAxisMm, 3);
    expect(items.filter((i) => meaning(i) === 'Similar archived lesion')).toHaveLength(5);

    const json = await t.http().get(`/api/v1/lesions/${lesionId}/report.fhir.json`).set(bearer(t.reader)).expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const bundle = JSON.parse(json.text);
    expect(fhir.validate(bundle, {}).messages.filter((m) => m.severity === 'error')).toEqual([]);
    const axis = bundle.entry.find((e: { resource: { code?: { coding: { code: string }[] } } }) => e.resource.code?.coding[0].code === '103339001').resource;
    expect(axis.valueQuantity).toMatchObject({ unit: 'mm', system: 'http://unitsofmeasure.org', code: 'mm' });
    expect(axis.valueQuantity.value).toBeCloseTo(lesion.diameters.longAxisMm, 1);

    const stowed = await t.http().post(`/api/v1/lesions/${lesionId}/report/stow`).set(bearer(t.curator)).send({ source: 'orthanc' }).expect(200);
    expect(stowed.body).toMatchObject({ source: 'orthanc', studyInstanceUid: '2.25.180001', stored: true });
    const instances = await orthanc.get<{ '00080018': { Value: string[] } }[]>(`/dicom-web/studies/2.25.180001/instances`);
    expect(instances.map((i) => i['00080018'].Value[0])).toContain(stowed.body.sopInstanceUid);
  });

  it('refuses bad report requests: unknown lesion 404, unknown source 400, a reader may not STOW, an unknown format 400', async () => {
    covers('GET /api/v1/lesions/{id}/report.dcm', 'bad-input');
    covers('GET /api/v1/lesions/{id}/report.fhir.json', 'bad-input');
    covers('POST /api/v1/lesions/{id}/report/stow', 'bad-input');
    covers('POST /api/v1/detections/from-point/report', 'bad-input');
    expect((await t.http().get('/api/v1/lesions/99999999/report.dcm').set(bearer(t.reader)).expect(404)).body.message).toMatch(/99999999/);
    await t.http().get('/api/v1/lesions/abc/report.fhir.json').set(bearer(t.reader)).expect(400);
    await t.http().get('/api/v1/lesions/99999999/report.fhir.json').set(bearer(t.reader)).expect(404);
    const [{ id }] = await t.db.query('SELECT id FROM lesion ORDER BY id LIMIT 1');
    expect((await t.http().post(`/api/v1/lesions/${id}/report/stow`).set(bearer(t.curator)).send({ source: 'nowhere' }).expect(400)).body.message).toMatch(
      /"nowhere" is not a configured DICOMweb source/,
    );
    await t.http().post(`/api/v1/lesions/${id}/report/stow`).set(bearer(t.reader)).send({ source: 'orthanc' }).expect(403);
    expect(
      (await t.http().post('/api/v1/detections/from-point/report').set(bearer(t.reader)).send({ dicomweb: ref(), x: 1, y: 1, format: 'pdf' }).expect(400)).body
        .message,
    ).toEqual(expect.arrayContaining([expect.stringMatching(/format must be dicom-sr or fhir/)]));
    expect((await t.http().post('/api/v1/detections/from-point/report').set(bearer(t.reader)).send({ x: 1, y: 1 }).expect(400)).body.message).toMatch(
      /dicomweb/,
    );
  });

  it('answers a bad reference clearly and stores nothing: unreachable 502, slow 504, unknown instance 404, too large 413, frame out of range 422, a non-image 422, bad UIDs 400', async () => {
    covers('POST /api/v1/search/similar', 'bad-input');
    covers('POST /api/v1/detections/from-point', 'bad-input');
    const counts = async () =>
      (
        await t.db.query(
          `SELECT (SELECT count(*) FROM lesion) AS lesions, (SELECT count(*) FROM lesion_embedding) AS embeddings, (SELECT count(*) FROM study) AS studies`,
        )
      )[0];
    const before = await counts();
    const orthancBefore = (await orthanc.get<string[]>('/instances')).length;
    const similar = (dicomweb: Record<string, unknown>) =>
      t.http().post('/api/v1/search/similar').set(bearer(t.reader)).send({ dicomweb, box: '100,100,140,140' });
    const point = (dicomweb: Record<string, unknown>) =>
      t.http().post('/api/v1/detections/from-point').set(bearer(t.reader)).send({ dicomweb, x: 120, y: 120 });

    expect((await similar(ref({ source: 'closed' })).expect(502)).body.message).toBe('DICOMweb source "closed" is unreachable');
    const started = Date.now();
    expect((await point(ref({ source: 'slow' })).expect(504)).body.message).toMatch(/DICOMweb source "slow" did not answer within 1500 ms/);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 3000);
    const unknown = `${STUDY}.9.9`;
    expect((await similar(ref({ sopInstanceUid: unknown })).expect(404)).body.message).toBe(`instance ${unknown} not found on DICOMweb source "orthanc"`);
    if (HAVE_SAMPLES) {
      expect((await point(ref({ frame: 2 })).expect(422)).body.message).toMatch(/dicomweb.frame 2 is out of range: instance .* has 1 frame/);
    }
    expect((await point(ref({ sopInstanceUid: BIG_SOP })).expect(413)).body.message).toMatch(
      /^instance .*\.1\.2 on DICOMweb source "orthanc" is larger than the service takes \(MAX_UPLOAD_BYTES/,
    );
    // An SR is an instance without pixels.
    expect(
      (await point({ source: 'orthanc', studyInstanceUid: STUDY, seriesInstanceUid: NON_IMAGE.series, sopInstanceUid: NON_IMAGE.sop }).expect(422)).body
        .message,
    ).toBe(`instance ${NON_IMAGE.sop} is not an image (no pixel data; modality SR): reference a CT or other image instance`);
    expect((await similar(ref({ sopInstanceUid: '1.2.3.abc' })).expect(400)).body.message).toEqual(
      expect.arrayContaining([expect.stringMatching(/sopInstanceUid must be a DICOM UID/)]),
    );
    expect((await similar(ref({ studyInstanceUid: `1.${'2'.repeat(64)}` })).expect(400)).body.message).toEqual(
      expect.arrayContaining([expect.stringMatching(/studyInstanceUid must be a DICOM UID/)]),
    );
    expect((await point(ref({ frame: 0 })).expect(400)).body.message).toEqual(expect.arrayContaining([expect.stringMatching(/frame/)]));
    // Hostile shapes and values: 400 naming the field.
    for (const dicomweb of [null, 'pacs', [ref()], {}, 42]) {
      const res = await t.http().post('/api/v1/detections/from-point').set(bearer(t.reader)).send({ dicomweb, x: 1, y: 1 }).expect(400);
      expect(JSON.stringify(res.body.message)).toMatch(/dicomweb/);
    }
    for (const bad of [
      { source: 'or\u0000thanc' },
      { source: 'x'.repeat(10_000) },
      { frame: 1e12 },
      { frame: -1 },
      { frame: 1.5 },
      { frame: 'NaN' },
      { sopInstanceUid: null },
      { studyInstanceUid: '' },
    ]) {
      await similar(ref(bad)).expect(400);
    }
    expect((await similar(ref({ source: 'nowhere' })).expect(400)).body.message).toMatch(
      /not a configured DICOMweb source \(configured: orthanc, closed, slow\)/,
    );
    expect(
      (await t.http().post('/api/v1/search/similar').set(bearer(t.reader)).send({ dicomweb: ref(), lesionId: 1, box: '1,1,5,5' }).expect(400)).body.message,
    ).toMatch(/exactly one of them/);
    expect(await counts()).toEqual(before);
    expect((await orthanc.get<string[]>('/instances')).length).toBe(orthancBefore);
  });

  it_('finds the study by QIDO-RS (patient, dates, modality) and retrieves it into a folder within a cache bound', async () => {
    const client = t.app.get(DicomWebService);
    const studies = await client.searchStudies('orthanc', { patientId: SOURCE_PATIENT_ID, modality: 'CT' });
    expect(studies.map((s) => s['0020000D'].Value?.[0])).toEqual([STUDY]);
    expect(await client.searchStudies('orthanc', { patientId: 'nobody' })).toEqual([]);
    expect((await client.searchStudies('orthanc', { studyDateFrom: '20260101', studyDateTo: '20260131' })).map((s) => s['0020000D'].Value?.[0])).toEqual([
      STUDY,
    ]);
    expect(await client.searchStudies('orthanc', { studyDateFrom: '20250101', studyDateTo: '20251231' })).toEqual([]);
    expect(await client.searchStudies('orthanc', { patientId: SOURCE_PATIENT_ID, modality: 'MR' })).toEqual([]);
    const series = await client.searchSeries('orthanc', { studyInstanceUid: STUDY });
    expect(series.length).toBeGreaterThanOrEqual(1);
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lrs-study-'));
    try {
      const all = await client.retrieveStudyToFolder('orthanc', STUDY, path.join(folder, 'all'), 64 * 1024 ** 2);
      expect(all.files).toEqual(expect.arrayContaining([`${SOP}.dcm`, `${BIG_SOP}.dcm`]));
      expect(all.skipped).toBe(0);
      expect(all.files.reduce((sum, f) => sum + fs.statSync(path.join(folder, 'all', f)).size, 0)).toBe(all.bytes);
      expect(
        fs
          .readFileSync(path.join(folder, 'all', `${SOP}.dcm`))
          .subarray(128, 132)
          .toString(),
      ).toBe('DICM');
      // A bound below the smallest instance keeps the folder empty.
      const bounded = await client.retrieveStudyToFolder('orthanc', STUDY, path.join(folder, 'bounded'), 1000);
      expect(bounded).toEqual({ files: [], bytes: 0, skipped: all.files.length });
      // Room for the slice but not the 2 MB instance: the slice is kept, the large one skipped.
      const partial = await client.retrieveStudyToFolder('orthanc', STUDY, path.join(folder, 'partial'), 1024 ** 2);
      expect(partial.files).toContain(`${SOP}.dcm`);
      expect(partial.files).not.toContain(`${BIG_SOP}.dcm`);
      expect(partial.bytes).toBeLessThanOrEqual(1024 ** 2);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
