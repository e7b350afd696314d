import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { PatientStudy, writeGsps, writeImage, writeSr } from '../../src/archive/archive-writer.testing';
import { filePathKey } from '../../src/deid/pseudonym';
import { decodePng16ToHu } from '../../src/imaging/png16';
import { IngestRepository } from '../../src/ingest-jobs/ingest.repository';
import { captureOutput, downsampledRealSlices, leaksIn, runCli } from '../helpers/identifying-study';
import { covers } from '../helpers/route-coverage';
import { bearer, createTestApp, SHARED_DIR, TEST_MODELS_DIR, TestApp, waitFor } from '../helpers/test-app';

const SAMPLES = path.join(SHARED_DIR, 'data/deeplesion-samples');
const haveSamples = fs.existsSync(path.join(SAMPLES, 'lesions.csv'));
if (!haveSamples) console.warn(`Skipping the DICOM archive tests: ${SAMPLES} is absent`);

const SECRET = 'e2e-deid-secret-0123456789abcdef';
const SIDE = 128;
const SPACING = 3.2; // DeepLesion's 0.8 mm at 512², downsampled 4×
const UID = '1.2.826.0.1.3680043.77';

/** Everything identifying the archive below holds; none may be found anywhere after the import. */
const IDENTIFYING = [
  'Quixote',
  'Zebulon',
  'QZ-100200',
  'GENERAL-HOSP',
  '19550505',
  '1955-05-05',
  'Windmill',
  'ACC-A1',
  'ACC-A2',
  'Sancho',
  'Rocinante',
  'very anxious',
  '555-0199',
  'Belvedere',
  'Ophelia',
  'OB-300400',
  'Krumholz',
  'Ignatius',
  'IK-500600',
  'Reader^Rita',
  'Rita',
  '20190110',
  '2019-01-10',
  '20190420',
  '2019-04-20',
  '20200202',
  '2020-02-02',
  '20180808',
  '2018-08-08',
  'SN-99881',
  UID,
];

interface SeriesSpec {
  patient: PatientStudy;
  folder: string;
  seriesUid: string;
  modality?: string;
  slices: number;
  /** Slice files are named in this order of their positions (a shuffle), so file order says nothing. */
  nameOrder?: number[];
}

(haveSamples ? describe : describe.skip)('DICOM archive import (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let dir: string;
  let dataDir: string;
  let pixels: Float32Array[];
  const captured: string[] = [];

  const patientA = (study: 1 | 2 | 3): PatientStudy => ({
    patientId: 'QZ-100200',
    issuer: 'GENERAL-HOSP',
    patientName: 'Quixote^Zebulon',
    birthDate: '19550505',
    sex: 'M',
    studyUid: `${UID}.1.${study}`,
    studyDate: ['', '20190110', '20190420', '20190801'][study],
    extra: {
      AccessionNumber: `ACC-A${study}`,
      InstitutionName: 'Sancho Panza Memorial',
      ReferringPhysicianName: 'Rocinante^Doctor',
      PatientAddress: 'Windmill Lane 42',
      ImageComments: 'patient Zebulon very anxious',
      StudyDescription: 'CT CHEST Quixote',
      DeviceSerialNumber: 'SN-99881',
    },
    privateText: 'Zebulon Quixote home phone 555-0199',
  });
  const patientB: PatientStudy = {
    patientId: 'OB-300400',
    patientName: 'Belvedere^Ophelia',
    sex: 'F',
    studyUid: `${UID}.2.1`,
    studyDate: '20200202',
    extra: { PatientAge: '047Y', OperatorsName: 'Belvedere^Assistant' },
  };
  const patientC: PatientStudy = {
    patientId: 'IK-500600',
    patientName: 'Krumholz^Ignatius',
    birthDate: '19700101',
    studyUid: `${UID}.3.1`,
    studyDate: '20180808',
  };

  const sop = (seriesUid: string, i: number) => `${seriesUid}.${i + 1}`;
  /** Writes a series; slice i sits at z = 100 + 2.5 i (Slice Thickness says 5: z must come from positions). */
  function writeSeries(root: string, s: SeriesSpec): void {
    const folder = path.join(root, s.folder);
    fs.mkdirSync(folder, { recursive: true });
    for (let i = 0; i < s.slices; i++) {
      const name = s.nameOrder ? `IMG${String(s.nameOrder.indexOf(i)).padStart(4, '0')}` : `slice-${i}.dcm`;
      const bytes = writeImage({
        ...s.patient,
        seriesUid: s.seriesUid,
        sopUid: sop(s.seriesUid, i),
        modality: s.modality,
        instanceNumber: s.slices - i,
        z: 100 + 2.5 * i,
        pixelSpacing: SPACING,
        width: SIDE,
        height: SIDE,
        hu: pixels[i % pixels.length],
      });
      fs.writeFileSync(path.join(folder, name), bytes);
    }
  }

  const A1 = `${UID}.1.1.2`;
  const A2 = `${UID}.1.2.2`;
  const B_CT = `${UID}.2.1.2`;
  const B_MR = `${UID}.2.1.3`;
  const C = `${UID}.3.1.2`;

  /** 3 patients, 4 studies, 5 image series; SR, GSPS and CSV lesions; a truncated file, a text file, an SR pointing nowhere. */
  function writeArchive(root: string): { csv: string } {
    writeSeries(root, { patient: patientA(1), folder: 'Quixote_Zebulon_QZ-100200/2019-01-10 CT CHEST', seriesUid: A1, slices: 5, nameOrder: [3, 0, 4, 1, 2] });
    fs.writeFileSync(
      path.join(root, 'Quixote_Zebulon_QZ-100200/2019-01-10 CT CHEST/report Quixote.dcm'),
      writeSr({
        ...patientA(1),
        seriesUid: `${UID}.1.1.9`,
        sopUid: `${UID}.1.1.9.1`,
        freeText: 'Zebulon Quixote, compare Sancho Panza Memorial prior',
        measurements: [{ sopUid: sop(A1, 2), long: [40, 50, 60, 58], short: [52, 46, 48, 62], site: ['10200004', 'Liver'] }],
      }),
    );
    writeSeries(root, { patient: patientA(2), folder: 'Quixote_Zebulon_QZ-100200/2019-04-20/ct', seriesUid: A2, slices: 5, nameOrder: [4, 2, 0, 3, 1] });
    fs.writeFileSync(
      path.join(root, 'Quixote_Zebulon_QZ-100200/2019-04-20/marks Rita.dcm'),
      writeGsps({
        ...patientA(2),
        seriesUid: `${UID}.1.2.8`,
        sopUid: `${UID}.1.2.8.1`,
        image: { seriesUid: A2, sopUid: sop(A2, 3) },
        graphics: [{ type: 'POLYLINE', points: [30, 30, 50, 30, 50, 44, 30, 44, 30, 30] }],
        arrows: [[90, 70]],
      }),
    );
    writeSeries(root, { patient: patientB, folder: 'Belvedere_Ophelia/ct', seriesUid: B_CT, slices: 4 });
    writeSeries(root, { patient: patientB, folder: 'Belvedere_Ophelia/mr', seriesUid: B_MR, modality: 'MR', slices: 3 });
    writeSeries(root, { patient: patientC, folder: 'disk2/s1', seriesUid: C, slices: 3 });
    fs.writeFileSync(
      path.join(root, 'disk2/sr1.dcm'),
      writeSr({
        ...patientC,
        seriesUid: `${UID}.3.1.9`,
        sopUid: `${UID}.3.1.9.1`,
        measurements: [
          { sopUid: sop(C, 1), region: { type: 'ELLIPSE', points: [60, 60, 80, 60, 70, 55, 70, 65] }, site: ['39607008', 'Lung'] },
          { sopUid: `${UID}.3.1.2.999`, long: [1, 1, 9, 9] },
        ],
      }),
    );
    // Bad files in a folder named after the patient, as hospital exports have them: the job's errors must not keep the name.
    fs.mkdirSync(path.join(root, 'Quixote_Zebulon_QZ-100200/incoming'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'Quixote_Zebulon_QZ-100200/incoming/broken.dcm'),
      writeImage({ ...patientC, seriesUid: C, sopUid: `${UID}.3.1.2.77`, width: SIDE, height: SIDE, hu: pixels[0] }).subarray(0, 300),
    );
    fs.writeFileSync(path.join(root, 'Quixote_Zebulon_QZ-100200/incoming/notes.txt'), 'not a DICOM file\n');
    const csv = path.join(root, '..', `${path.basename(root)}-annotations.csv`);
    fs.writeFileSync(csv, `sop_instance_uid,x1,y1,x2,y2,type\n${sop(B_CT, 1)},20,20,40,36,6\n${sop(B_MR, 0)},10,10,30,30,-1\n`);
    return { csv };
  }

  beforeAll(async () => {
    pixels = downsampledRealSlices(SAMPLES, 5, SIDE);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dicom-archive-e2e-'));
    dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir);
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false', INGEST_ROOTS: dir, DATA_DIR: dataDir, DEID_SECRET: SECRET, ARCHIVE_DECODE_WORKERS: '1' });
    db = t.app.get(DataSource);
    captureOutput(captured);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const importOverHttp = async (body: Record<string, unknown>) => {
    // The previous import of the same folder may still be releasing its lock (409) for a moment.
    const started = await waitFor(async () => {
      const res = await t.http().post('/api/v1/admin/ingest').set(bearer(t.adminKey)).send(body);
      return res.status !== 409 && res;
    }, 30_000);
    expect(started.status).toBe(202);
    return waitFor(async () => {
      const job = (await t.http().get(`/api/v1/admin/ingest/jobs/${started.body.id}`).set(bearer(t.adminKey)).expect(200)).body;
      return job.status !== 'running' && job;
    });
  };
  const lesionRows = (dataset: string) =>
    db.query(
      `SELECT p.patient_index, st.study_index, to_char(st.study_date, 'YYYY-MM-DD') AS study_date, st.age_years, s.series_index, s.modality, s.spacing_x_mm, s.spacing_z_mm,
              s.convolution_kernel, s.body_part, l.id, l.key_slice_index, l.lesion_in_image, l.box_x1, l.box_y1, l.box_x2, l.box_y2, l.recist, l.coarse_type,
              l.possibly_noisy, l.image_path, l.image_encoding, (SELECT count(*)::int FROM lesion_embedding e WHERE e.lesion_id = l.id) AS embedded
         FROM lesion l JOIN series s ON s.id = l.series_id JOIN study st ON st.id = l.study_id JOIN patient p ON p.id = l.patient_id
        WHERE p.dataset = $1 ORDER BY p.patient_index, st.study_index, s.series_index, l.key_slice_index, l.lesion_in_image`,
      [dataset],
    );

  let archive: string;
  let firstJob: Record<string, unknown> & { id: string };

  /** The archive's files in the importer's walk order (each folder's entries by name), relative to it. */
  const walkOrder = (root: string, rel = ''): string[] =>
    fs
      .readdirSync(path.join(root, rel), { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((e) => (e.isDirectory() ? walkOrder(root, rel ? `${rel}/${e.name}` : e.name) : [rel ? `${rel}/${e.name}` : e.name]));

  it('imports an archive of 3 patients: series ordered by position, lesions from SR, GSPS and CSV, bad files reported by keyed path and position', async () => {
    covers('POST /api/v1/admin/ingest', 'success', 'bad-input');
    archive = path.join(dir, 'archive');
    const { csv } = writeArchive(archive);
    firstJob = await importOverHttp({ format: 'dicom', dir: archive, annotations: csv, dataset: 'hospital' });
    expect(firstJob).toMatchObject({ status: 'completed', format: 'dicom', totalRows: 5, processedRows: 5, importedRows: 6, filesWalked: 25, embeddedRows: 5 });
    const errors = firstJob.errors as { file: string; fileOrdinal: number; message: string }[];
    const walked = walkOrder(archive);
    const ref = (relPath: string) => ({ file: filePathKey(SECRET, relPath), fileOrdinal: walked.indexOf(relPath) + 1 });
    expect(walked).toHaveLength(25);
    expect(errors).toEqual(
      expect.arrayContaining([
        { line: 0, ...ref('Quixote_Zebulon_QZ-100200/incoming/broken.dcm'), message: 'truncated or corrupt DICOM header' },
        { line: 0, ...ref('Quixote_Zebulon_QZ-100200/incoming/notes.txt'), message: 'not a DICOM file (no DICM marker)' },
        { line: 0, ...ref('disk2/sr1.dcm'), message: expect.stringMatching(/references an image that is not in the folder/) },
      ]),
    );
    expect(errors).toHaveLength(3);
    expect(errors.map((e) => walked[e.fileOrdinal - 1]).sort()).toEqual([
      'Quixote_Zebulon_QZ-100200/incoming/broken.dcm',
      'Quixote_Zebulon_QZ-100200/incoming/notes.txt',
      'disk2/sr1.dcm',
    ]);
    // No component of any path in the archive (folders named after patients included) is kept in the job.
    const components = [...new Set(walked.flatMap((p) => p.split('/')))].filter((c) => !/^[0-9a-f]+$/.test(c));
    expect(components).toEqual(expect.arrayContaining(['Quixote_Zebulon_QZ-100200', 'incoming', 'broken.dcm', 'disk2', 'sr1.dcm']));
    const stored = JSON.stringify((await db.query('SELECT errors FROM ingest_job WHERE id = $1', [firstJob.id]))[0].errors);
    expect(components.filter((c) => stored.includes(c) || JSON.stringify(firstJob).includes(c))).toEqual([]);
    expect(JSON.stringify(firstJob)).not.toContain(dir);

    const rows = await lesionRows('hospital');
    expect(rows).toHaveLength(6);
    const byPatient = (p: number) => rows.filter((r: { patient_index: number }) => r.patient_index === p);
    // Patients are numbered in commit order (by key hash), so find them by what they hold.
    const a = [1, 2, 3].find((p) => byPatient(p).length === 3)!;
    const aRows = byPatient(a);
    expect(aRows.map((r: Record<string, unknown>) => [r.study_index, r.key_slice_index, r.lesion_in_image, r.coarse_type, r.possibly_noisy])).toEqual([
      [1, 2, 1, 4, false], // SR: RECIST on the slice at z = 105, whatever its file's name
      [2, 3, 1, -1, false], // GSPS polyline
      [2, 3, 2, -1, true], // GSPS arrow: a box around its tip, flagged
    ]);
    expect(aRows[0].recist).toEqual([40, 50, 60, 58, 52, 46, 48, 62]);
    expect([aRows[0].box_x1, aRows[0].box_y1, aRows[0].box_x2, aRows[0].box_y2]).toEqual([35, 41, 65, 67]);
    expect([aRows[1].box_x1, aRows[1].box_y1, aRows[1].box_x2, aRows[1].box_y2]).toEqual([30, 30, 50, 44]);
    // Dates shifted by one whole-day offset per patient: the interval stays 100 days, the dates move.
    expect((Date.parse(aRows[1].study_date) - Date.parse(aRows[0].study_date)) / 86_400_000).toBe(100);
    expect(aRows[0].study_date).not.toBe('2019-01-10');
    expect(aRows[0].age_years).toBeCloseTo(63.7, 1);
    for (const r of rows) {
      expect(r.spacing_x_mm).toBeCloseTo(SPACING, 5);
      expect(r.spacing_z_mm).toBeCloseTo(2.5, 5);
      expect(r.image_encoding).toBe('png16');
    }
    expect(aRows[0]).toMatchObject({ convolution_kernel: 'B30f', body_part: 'CHEST', modality: 'CT' });
    // Both of B's series say Series Number 1: their order follows the keyed UIDs, so compare by modality.
    const b = rows
      .filter((r: { modality: string; coarse_type: number }) => r.coarse_type === 6 || r.modality === 'MR')
      .sort((x: { modality: string }, y: { modality: string }) => x.modality.localeCompare(y.modality));
    expect(b.map((r: Record<string, unknown>) => [r.modality, r.key_slice_index, r.coarse_type, r.embedded])).toEqual([
      ['CT', 1, 6, 1],
      ['MR', 0, -1, 0], // stored, not embedded: the encoder takes CT only
    ]);
    const c = rows.find((r: { coarse_type: number }) => r.coarse_type === 5);
    expect([c.key_slice_index, c.box_x1, c.box_y1, c.box_x2, c.box_y2]).toEqual([1, 60, 55, 80, 65]);

    // The key slice PNG holds the HU of the DICOM slice at that position (slice 2 of A1 = pixels[2]).
    const png = decodePng16ToHu(fs.readFileSync(aRows[0].image_path))!;
    expect([png.width, png.height]).toEqual([SIDE, SIDE]);
    expect(Array.from(png.data.subarray(0, 2000))).toEqual(Array.from(pixels[2].subarray(0, 2000)));
    expect(aRows[0].image_path.startsWith(path.join(dataDir, 'archive', 'hospital'))).toBe(true);
  });

  it('refuses bad requests with a 400 naming the cause', async () => {
    const missing = await t.http().post('/api/v1/admin/ingest').set(bearer(t.adminKey)).send({ format: 'dicom', dataset: 'hospital' }).expect(400);
    expect(JSON.stringify(missing.body.message)).toMatch(/dir/);
    const outside = await t.http().post('/api/v1/admin/ingest').set(bearer(t.adminKey)).send({ format: 'dicom', dir: os.homedir(), dataset: 'x' }).expect(400);
    expect(outside.body.message).toBe('Cannot read the DICOM folder: it does not exist under INGEST_ROOTS');
  });

  it('re-imports nothing new: same lesions, same ids', async () => {
    const before = await lesionRows('hospital');
    const again = await importOverHttp({ format: 'dicom', dir: archive, annotations: path.join(dir, 'archive-annotations.csv'), dataset: 'hospital' });
    expect(again).toMatchObject({ status: 'completed', importedRows: 6 });
    expect(await lesionRows('hospital')).toEqual(before);
    expect((await db.query(`SELECT count(*)::int AS n FROM patient WHERE dataset = 'hospital'`))[0].n).toBe(3);
  });

  it('gives the same patient the same index in a second folder', async () => {
    const second = path.join(dir, 'second');
    writeSeries(second, { patient: patientA(3), folder: 'Quixote Z/2019-08-01', seriesUid: `${UID}.1.3.2`, slices: 3 });
    const csv = path.join(dir, 'second.csv');
    fs.writeFileSync(csv, `sop_instance_uid,long_x1,long_y1,long_x2,long_y2,short_x1,short_y1,short_x2,short_y2\n${UID}.1.3.2.2,40,50,56,56,47,48,45,58\n`);
    const job = await importOverHttp({ format: 'dicom', dir: second, annotations: csv, dataset: 'hospital' });
    expect(job).toMatchObject({ status: 'completed', importedRows: 1 });
    const rows = await lesionRows('hospital');
    const [first] = rows.filter((r: { recist: number[] | null }) => r.recist?.[0] === 40 && r.recist?.[1] === 50 && r.recist?.[2] === 60);
    const [later] = rows.filter((r: { recist: number[] | null }) => r.recist?.[2] === 56);
    expect(later.patient_index).toBe(first.patient_index);
    expect(later.study_index).toBe(3);
    expect((Date.parse(later.study_date) - Date.parse(first.study_date)) / 86_400_000).toBe(203);
  });

  const runCliHere = (args: string[], extra: Record<string, string>) => {
    const env = {
      DATABASE_URL: t.database.url,
      MODELS_DIR: TEST_MODELS_DIR,
      INDEX_DIR: t.config.index.dir,
      DATA_DIR: dataDir,
      DEID_SECRET: SECRET,
      LOG_LEVEL: 'error',
      SAMPLE_AUTOLOAD: 'false',
      ARCHIVE_DECODE_WORKERS: '0',
      ...extra,
    };
    return runCli(args, env);
  };

  it('survives a kill -9 inside a series transaction: the re-run resumes the same job and ends with exactly the expected lesions', async () => {
    const args = ['ingest', 'dicom', '--dir', archive, '--annotations', path.join(dir, 'archive-annotations.csv'), '--dataset', 'crashed'];
    const crashed = await runCliHere(args, { LRS_TEST_CRASH_AT: 'ingest-before-commit', LRS_TEST_CRASH_SKIP: '2' });
    expect({ signal: crashed.signal, output: crashed.output.slice(-300) }).toEqual({ signal: 'SIGKILL', output: expect.any(String) });
    const [job] = await db.query(`SELECT id, cursor, status, imported_rows FROM ingest_job WHERE dataset = 'crashed'`);
    expect({ cursor: job.cursor, status: job.status }).toEqual({ cursor: 2, status: 'running' });
    expect((await lesionRows('crashed')).length).toBe(job.imported_rows);
    expect(await t.app.get(IngestRepository).markOrphansInterrupted()).toBe(1);

    const again = await runCliHere(args, {});
    expect({ code: again.code, output: again.output }).toEqual({ code: 0, output: expect.stringMatching(/Import completed: 25 files, 5 series, 6 lesions/) });
    expect(await db.query(`SELECT id, cursor, status FROM ingest_job WHERE dataset = 'crashed'`)).toEqual([{ id: job.id, cursor: 5, status: 'completed' }]);
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ id, image_path, embedded, ...rest }) => (void id, void image_path, void embedded, rest));
    expect(strip(await lesionRows('crashed'))).toEqual(strip((await lesionRows('hospital')).filter((r: { study_index: number }) => r.study_index !== 3)));
  });

  it('leaves no identifying value in the database dump, the API answers, the logs or any file under DATA_DIR and the index', async () => {
    const found = (where: string, text: string) => leaksIn(where, text, IDENTIFYING);
    const leaks: string[] = [];
    leaks.push(...found('pg_dump', execFileSync('pg_dump', ['--data-only', '--no-owner', t.database.url], { maxBuffer: 512 * 1024 ** 2 }).toString('latin1')));
    const ids = (await db.query(`SELECT l.id FROM lesion l JOIN patient p ON p.id = l.patient_id `)).map((r: { id: number }) => r.id);
    for (const id of ids)
      leaks.push(...found(`GET /lesions/${id}`, JSON.stringify((await t.http().get(`/api/v1/lesions/${id}`).set(bearer(t.adminKey)).expect(200)).body)));
    leaks.push(
      ...found('GET /lesions', JSON.stringify((await t.http().get('/api/v1/lesions?dataset=hospital&limit=100').set(bearer(t.adminKey)).expect(200)).body)),
    );
    leaks.push(...found('GET /admin/ingest/jobs', JSON.stringify((await t.http().get('/api/v1/admin/ingest/jobs').set(bearer(t.adminKey)).expect(200)).body)));
    leaks.push(...found('GET /stats', JSON.stringify((await t.http().get('/api/v1/stats').set(bearer(t.adminKey)).expect(200)).body)));
    leaks.push(...found('logs', captured.join('')));
    const walk = (folder: string): string[] =>
      fs.existsSync(folder)
        ? fs.readdirSync(folder, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(folder, e.name)) : [path.join(folder, e.name)]))
        : [];
    const stored = [...walk(dataDir), ...walk(t.config.index.dir)];
    expect(stored.filter((f) => f.endsWith('.png')).length).toBeGreaterThan(6);
    for (const file of stored) leaks.push(...found(path.relative(dir, file), file + fs.readFileSync(file).toString('latin1')));
    expect(leaks).toEqual([]);
  });
});
