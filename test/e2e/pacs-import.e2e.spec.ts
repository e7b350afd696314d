import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { PatientStudy, writeGsps, writeSr } from '../../src/archive/archive-writer.testing';
import { cachedInodes, describeWithOrthanc, freePort, loadCtSeries, OrthancServer, startOrthanc } from '../helpers/orthanc';
import { captureOutput, downsampledRealSlices, leaksIn, runCli } from '../helpers/identifying-study';
import { covers } from '../helpers/route-coverage';
import { AuthService } from '../../src/auth/auth.service';
import { IngestRepository } from '../../src/ingest-jobs/ingest.repository';
import { bearer, createTestApp, SHARED_DIR, TEST_MODELS_DIR, TestApp, waitFor } from '../helpers/test-app';

const SAMPLES = path.join(SHARED_DIR, 'data/deeplesion-samples');
const haveSamples = fs.existsSync(path.join(SAMPLES, 'lesions.csv'));
if (!haveSamples) console.warn(`Skipping the PACS import tests: ${SAMPLES} is absent`);

const SECRET = 'e2e-pacs-deid-secret-0123456789';
const SIDE = 128;
const UID = '1.2.826.0.1.3680043.78';

/** Everything identifying the PACS's studies hold; none may be found in the database, answers, logs or cache names. */
const IDENTIFYING = [
  'Marlowe',
  'Philippa',
  'PM-424242',
  'ST-ELSEWHERE',
  '19600606',
  '1960-06-06',
  'ACC-PM',
  'Hollow Creek',
  '20210315',
  '2021-03-15',
  '20210612',
  '2021-06-12',
  'Sternwood',
  'ST-777',
];
/** The source's UIDs: answers to a query by reference repeat the caller's own reference, nothing else may hold them. */
const SOURCE_UIDS = [UID];

(haveSamples ? describeWithOrthanc : describe.skip)('PACS import over DICOMweb and priors by reference, against a real Orthanc (e2e)', () => {
  let orthanc: OrthancServer;
  let sources: Record<string, string>;
  let t: TestApp;
  let db: DataSource;
  let dir: string;
  let cacheDir: string;
  let pixels: Float32Array[];
  const captured: string[] = [];
  const answers: string[] = [];

  const patient = (study: 1 | 2 | 3): PatientStudy => ({
    patientId: 'PM-424242',
    issuer: 'ST-ELSEWHERE',
    patientName: 'Marlowe^Philippa',
    birthDate: '19600606',
    sex: 'F',
    studyUid: `${UID}.${study}`,
    studyDate: ['', '20210315', '20210612', '20211010'][study],
    extra: { AccessionNumber: `ACC-PM${study}`, InstitutionName: 'Hollow Creek Clinic', ReferringPhysicianName: 'Sternwood^General' },
    privateText: 'Philippa Marlowe ST-777',
  });
  const other: PatientStudy = { patientId: 'ST-777', patientName: 'Sternwood^Carmen', studyUid: `${UID}.9`, studyDate: '20210101' };
  const series = (study: number) => `${UID}.${study}.2`;
  const sop = (study: number, i: number) => `${series(study)}.${i + 1}`;

  /** A study of `slices` CT instances (z = 100 + 2.5 i) in Orthanc. */
  const loadStudy = (p: PatientStudy, study: number, slices: number) => loadCtSeries(orthanc, p, series(study), slices, pixels, SIDE);

  beforeAll(async () => {
    pixels = downsampledRealSlices(SAMPLES, 4, SIDE);
    orthanc = await startOrthanc();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pacs-import-e2e-'));
    cacheDir = path.join(dir, 'cache');
    sources = { orthanc: orthanc.dicomWebUrl, closed: `http://127.0.0.1:${await freePort()}/dicom-web` };
    t = await createTestApp({
      SAMPLE_AUTOLOAD: 'false',
      DATA_DIR: path.join(dir, 'data'),
      INGEST_ROOTS: dir,
      DEID_SECRET: SECRET,
      ARCHIVE_DECODE_WORKERS: '1',
      DICOMWEB_SOURCES: JSON.stringify(sources),
      DICOMWEB_TIMEOUT_MS: '3000',
      DICOMWEB_CACHE_DIR: cacheDir,
    });
    db = t.app.get(DataSource);
    // Study 1: 4 slices and an SR measuring slice 1. Study 2: 3 slices and a presentation state on slice 2.
    // Study 3 (later, never imported): the slice a reporting system asks about. Another patient's study 9.
    await loadStudy(patient(1), 1, 4);
    await orthanc.load(
      writeSr({
        ...patient(1),
        seriesUid: `${UID}.1.9`,
        sopUid: `${UID}.1.9.1`,
        freeText: 'Philippa Marlowe follow-up',
        measurements: [{ sopUid: sop(1, 1), long: [40, 50, 60, 58], short: [52, 46, 48, 62], site: ['10200004', 'Liver'] }],
      }),
    );
    await loadStudy(patient(2), 2, 3);
    await orthanc.load(
      writeGsps({
        ...patient(2),
        seriesUid: `${UID}.2.8`,
        sopUid: `${UID}.2.8.1`,
        image: { seriesUid: series(2), sopUid: sop(2, 2) },
        graphics: [{ type: 'POLYLINE', points: [30, 30, 50, 30, 50, 44, 30, 44, 30, 30] }],
      }),
    );
    await loadStudy(patient(3), 3, 2);
    await loadStudy(other, 9, 2);
    // A study holding only an SR: nothing to import.
    await orthanc.load(
      writeSr({ ...other, studyUid: `${UID}.8`, seriesUid: `${UID}.8.9`, sopUid: `${UID}.8.9.1`, measurements: [{ sopUid: sop(9, 0), long: [1, 1, 9, 9] }] }),
    );
    captureOutput(captured);
  }, 120_000);
  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
    await orthanc?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: Record<string, unknown>) => t.http().post('/api/v1/admin/ingest').set(bearer(t.adminKey)).send(body);
  const importOverHttp = async (body: Record<string, unknown>) => {
    const started = await waitFor(async () => {
      const res = await post(body);
      return res.status !== 409 && res;
    }, 30_000);
    expect(started.status).toBe(202);
    answers.push(JSON.stringify(started.body));
    const job = await waitFor(async () => {
      const view = (await t.http().get(`/api/v1/admin/ingest/jobs/${started.body.id}`).set(bearer(t.adminKey)).expect(200)).body;
      return view.status !== 'running' && view;
    });
    answers.push(JSON.stringify(job));
    return job;
  };
  const lesions = () =>
    db.query(
      `SELECT l.id, p.dataset, p.patient_index, st.study_index, to_char(st.study_date, 'YYYY-MM-DD') AS study_date, l.key_slice_index, l.coarse_type, l.long_axis_mm, l.short_axis_mm
         FROM lesion l JOIN study st ON st.id = l.study_id JOIN patient p ON p.id = l.patient_id ORDER BY l.id`,
    );
  const cacheFiles = (): string[] => {
    const walk = (folder: string): string[] =>
      fs.existsSync(folder)
        ? fs.readdirSync(folder, { withFileTypes: true }).flatMap((e) => [e.name, ...(e.isDirectory() ? walk(path.join(folder, e.name)) : [])])
        : [];
    return walk(cacheDir);
  };

  let firstIds: number[] = [];

  it('imports a study by UID: retrieved into the cache, imported as one job, the cache emptied after', async () => {
    covers('POST /api/v1/admin/ingest', 'success');
    const job = await importOverHttp({ format: 'dicomweb', source: 'orthanc', studyInstanceUid: `${UID}.1`, dataset: 'hospital' });
    expect(job).toMatchObject({
      status: 'completed',
      format: 'dicomweb',
      source: 'DICOMweb orthanc: 1 study',
      studies: { found: 1, retrieved: 1, imported: 1 },
      totalRows: 1,
      importedRows: 1,
      filesWalked: 5,
    });
    const rows = await lesions();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ dataset: 'hospital', key_slice_index: 1, coarse_type: 4 });
    expect(rows[0].study_date).not.toBe('2021-03-15');
    firstIds = rows.map((r: { id: number }) => r.id);
    // Deleted once imported (DICOMWEB_CACHE_KEEP is off): no study folder is left.
    expect(cacheFiles()).toEqual([]);
  });

  it('re-running the same request imports nothing new', async () => {
    const job = await importOverHttp({ format: 'dicomweb', source: 'orthanc', studyInstanceUid: `${UID}.1`, dataset: 'hospital' });
    expect(job).toMatchObject({ status: 'completed', studies: { found: 1, retrieved: 1, imported: 1 } });
    expect((await lesions()).map((r: { id: number }) => r.id)).toEqual(firstIds);
  });

  it('imports the studies a QIDO query finds (patient, date range, modality)', async () => {
    const job = await importOverHttp({
      format: 'dicomweb',
      source: 'orthanc',
      query: { patientId: 'PM-424242', studyDateFrom: '20210601', studyDateTo: '20210630', modality: 'CT' },
      dataset: 'hospital',
    });
    expect(job).toMatchObject({ status: 'completed', studies: { found: 1, retrieved: 1, imported: 1 }, importedRows: 1 });
    const rows = await lesions();
    expect(rows).toHaveLength(2);
    // The same patient (one pseudonym), a second study 89 days after the first, dates shifted alike.
    expect(rows[1]).toMatchObject({ patient_index: rows[0].patient_index, study_index: 2, key_slice_index: 2, coarse_type: -1 });
    expect((Date.parse(rows[1].study_date) - Date.parse(rows[0].study_date)) / 86_400_000).toBe(89);
  });

  it("answers a query by reference to another study of the same patient with that patient's imported lesions as priors", async () => {
    const ref = (study: number, i = 0) => ({
      source: 'orthanc',
      studyInstanceUid: `${UID}.${study}`,
      seriesInstanceUid: series(study),
      sopInstanceUid: sop(study, i),
    });
    const res = await t
      .http()
      .post('/api/v1/detections/from-point')
      .set(bearer(t.adminKey))
      .send({ dicomweb: ref(3), x: 64, y: 64 })
      .expect(200);
    answers.push(JSON.stringify(res.body));
    expect(res.body.dicomweb.reference.studyInstanceUid).toBe(`${UID}.3`);
    const rows = await lesions();
    // The SR's RECIST measurement comes with its axes in mm (3.2 mm pixels); the presentation state's box without.
    expect(rows[0].long_axis_mm).toBeGreaterThan(50);
    expect(res.body.dicomweb.priors.state).toBe('found');
    expect(res.body.dicomweb.priors.lesions).toEqual(
      rows.map(
        (r: {
          id: number;
          patient_index: number;
          study_index: number;
          study_date: string;
          coarse_type: number;
          long_axis_mm: number | null;
          short_axis_mm: number | null;
        }) => ({
          id: r.id,
          dataset: 'hospital',
          patient: { index: r.patient_index },
          study: { index: r.study_index, date: r.study_date },
          diameters: { longAxisMm: r.long_axis_mm, shortAxisMm: r.short_axis_mm },
          coarseType: expect.objectContaining({ code: r.coarse_type }),
          trackId: null,
        }),
      ),
    );
    const stranger = await t
      .http()
      .post('/api/v1/detections/from-point')
      .set(bearer(t.adminKey))
      .send({ dicomweb: ref(9), x: 64, y: 64 })
      .expect(200);
    expect(stranger.body.dicomweb.priors).toEqual({ state: 'none', lesions: [] });
  });

  const runCliHere = (args: string[], extra: Record<string, string>) => {
    const env = {
      DATABASE_URL: t.database.url,
      MODELS_DIR: TEST_MODELS_DIR,
      INDEX_DIR: t.config.index.dir,
      DATA_DIR: path.join(dir, 'data'),
      DEID_SECRET: SECRET,
      DICOMWEB_SOURCES: JSON.stringify(sources),
      DICOMWEB_CACHE_DIR: cacheDir,
      LOG_LEVEL: 'error',
      SAMPLE_AUTOLOAD: 'false',
      ARCHIVE_DECODE_WORKERS: '0',
      ...extra,
    };
    return runCli(args, env);
  };
  const inodes = () => cachedInodes(cacheDir);

  it('the CLI imports what a patient query finds; killed inside the import, its re-run resumes the same job without fetching cached instances again; a key limited to another dataset sees no priors', async () => {
    // Patient ST-777: study 9 (images) and study 8 (an SR measuring an image of study 9).
    const args = ['ingest', 'dicomweb', '--source', 'orthanc', '--patient', 'ST-777', '--from', '20200101', '--to', '20211231', '--dataset', 'clinic'];
    const crashed = await runCliHere(args, { LRS_TEST_CRASH_AT: 'ingest-before-commit' });
    expect({ signal: crashed.signal, output: crashed.output.slice(-300) }).toEqual({ signal: 'SIGKILL', output: expect.any(String) });
    const [job] = await db.query(`SELECT id, status, studies_found, studies_retrieved FROM ingest_job WHERE dataset = 'clinic'`);
    expect(job).toMatchObject({ status: 'running', studies_found: 2, studies_retrieved: 2 });
    const cached = inodes();
    expect(cached.size).toBe(3);
    // The killed process's session (and its lock on the job) ends a moment after the process.
    expect(await waitFor(async () => (await t.app.get(IngestRepository).markOrphansInterrupted()) === 1, 15_000)).toBe(true);

    const again = await runCliHere(args, { DICOMWEB_CACHE_KEEP: 'true' });
    expect({ code: again.code, output: again.output }).toEqual({
      code: 0,
      output: expect.stringMatching(/Import completed: 2\/2 studies retrieved, 2 imported, 3 files, 1 series, 1 lesions imported/),
    });
    expect(await db.query(`SELECT id, status FROM ingest_job WHERE dataset = 'clinic'`)).toEqual([{ id: job.id, status: 'completed' }]);
    // The same files (same inodes): nothing cached was fetched and rewritten.
    expect(inodes()).toEqual(cached);
    answers.push(again.output);
    // Patient ST-777 now has a prior in "clinic"; Philippa Marlowe's priors stay hers.
    const ask = async (study: number) =>
      (
        await t
          .http()
          .post('/api/v1/detections/from-point')
          .set(bearer(t.adminKey))
          .send({
            dicomweb: { source: 'orthanc', studyInstanceUid: `${UID}.${study}`, seriesInstanceUid: series(study), sopInstanceUid: sop(study, 1) },
            x: 64,
            y: 64,
          })
          .expect(200)
      ).body.dicomweb.priors;
    expect((await ask(9)).lesions.map((l: { dataset: string }) => l.dataset)).toEqual(['clinic']);
    expect((await ask(3)).lesions.map((l: { dataset: string }) => l.dataset)).toEqual(['hospital', 'hospital']);

    // A key limited to "clinic" never sees the hospital's priors of Philippa Marlowe; it sees ST-777's.
    const clinicKey = (await t.app.get(AuthService).createKey('clinic-reader', 'reader', ['clinic'])).key;
    const scoped = async (study: number) =>
      (
        await t
          .http()
          .post('/api/v1/detections/from-point')
          .set(bearer(clinicKey))
          .send({
            dicomweb: { source: 'orthanc', studyInstanceUid: `${UID}.${study}`, seriesInstanceUid: series(study), sopInstanceUid: sop(study, 1) },
            x: 64,
            y: 64,
          })
          .expect(200)
      ).body.dicomweb.priors;
    const hidden = await scoped(3);
    expect(hidden).toEqual({ state: 'none', lesions: [] });
    expect((await scoped(9)).lesions.map((l: { dataset: string }) => l.dataset)).toEqual(['clinic']);
    answers.push(JSON.stringify(hidden));
  });

  it('refuses bad requests before any job exists: 400 unknown source or bad query, 404 unknown study, 422 a study without images, 502 unreachable', async () => {
    covers('POST /api/v1/admin/ingest', 'bad-input');
    const jobsBefore = (await db.query(`SELECT count(*)::int AS n FROM ingest_job`))[0].n;
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [
        { source: 'nowhere', studyInstanceUid: `${UID}.1` },
        400,
        /dicomweb.source "nowhere" is not a configured DICOMweb source \(configured: orthanc, closed\)/,
      ],
      [{ source: 'orthanc', studyInstanceUid: '1.2.x' }, 400, /studyInstanceUid must be a DICOM UID/],
      [{ source: 'orthanc' }, 400, /studyInstanceUid or query/],
      [{ source: 'orthanc', query: {} }, 400, /needs studyInstanceUid, or a query with query.patientId or a study date range/],
      [{ source: 'orthanc', query: { patientId: 'PM*' } }, 400, /query.patientId/],
      [{ source: 'orthanc', query: { patientId: 'PM-424242', studyDateFrom: '20211350' } }, 400, /query.studyDateFrom must be a date YYYYMMDD/],
      [{ source: 'orthanc', query: { patientId: 'NOBODY' } }, 404, /query matches no study on DICOMweb source "orthanc"/],
      [{ source: 'orthanc', studyInstanceUid: `${UID}.404` }, 404, /study 1\.2\.826\.0\.1\.3680043\.78\.404 not found on DICOMweb source "orthanc"/],
      [{ source: 'orthanc', studyInstanceUid: `${UID}.8` }, 422, /has no images/],
      [{ source: 'closed', studyInstanceUid: `${UID}.1` }, 502, /DICOMweb source "closed" is unreachable/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post({ format: 'dicomweb', dataset: 'hospital', ...body });
      expect({ body, status: res.status }).toEqual({ body, status });
      expect([res.body.message].flat().join('; ')).toMatch(message);
    }
    expect((await db.query(`SELECT count(*)::int AS n FROM ingest_job`))[0].n).toBe(jobsBefore);
    expect((await lesions()).length).toBe(3);
  });

  it('fails the job with a reason when the problem shows only once it runs: the studies found hold no images', async () => {
    const job = await importOverHttp({ format: 'dicomweb', source: 'orthanc', query: { patientId: 'ST-777', modality: 'SR' }, dataset: 'reports-only' });
    expect(job).toMatchObject({
      status: 'failed',
      message: 'the retrieved studies hold no image series to import',
      studies: { found: 1, retrieved: 1, imported: 0 },
      importedRows: 0,
    });
    expect(await db.query(`SELECT count(*)::int AS n FROM patient WHERE dataset = 'reports-only'`)).toEqual([{ n: 0 }]);
  });

  it("leaves no identifying value of the source in the database, the answers, the logs or the cache's names", async () => {
    const found = (where: string, text: string, values = [...IDENTIFYING, ...SOURCE_UIDS]) => leaksIn(where, text, values);
    const leaks: string[] = [];
    leaks.push(...found('pg_dump', execFileSync('pg_dump', ['--data-only', '--no-owner', t.database.url], { maxBuffer: 512 * 1024 ** 2 }).toString('latin1')));
    leaks.push(...found('answers', answers.join('\n'), IDENTIFYING));
    leaks.push(...found('GET /admin/ingest/jobs', JSON.stringify((await t.http().get('/api/v1/admin/ingest/jobs').set(bearer(t.adminKey)).expect(200)).body)));
    leaks.push(...found('logs', captured.join('')));
    leaks.push(...found('cache names', cacheFiles().join('\n')));
    expect(leaks).toEqual([]);
  });
});
