import * as fs from 'node:fs';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PatientStudy, writeSr } from '../../src/archive/archive-writer.testing';
import { downsampledRealSlices, leaksIn } from '../helpers/identifying-study';
import { cachedInodes, describeWithOrthanc, loadCtSeries, OrthancServer, startOrthanc } from '../helpers/orthanc';
import { jsonLogLines, redisAnswers, ServiceProcess } from '../helpers/service-process';
import { createServiceSandbox, jobQueueEnv, ServiceSandbox } from '../helpers/service-sandbox';
import { SHARED_DIR } from '../helpers/test-app';

const SAMPLES = path.join(SHARED_DIR, 'data/deeplesion-samples');
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const hasSamples = fs.existsSync(path.join(SAMPLES, 'lesions.csv'));
const hasRedis = redisAnswers(REDIS_URL);
if (!hasSamples) console.log(`[pacs-queue e2e] skipped: ${SAMPLES} is absent (real DeepLesion samples, see ../shared/README)`);
else if (!hasRedis) console.log(`[pacs-queue e2e] skipped: no Redis answers at ${REDIS_URL} (.ci/run starts redis-server when it is installed)`);

const UID = '1.2.826.0.1.3680043.79';
const SIDE = 128;
/** What identifies the PACS's patient and studies: neither Redis nor the job row may hold any of it. */
const IDENTIFYING = ['PQ-1001', 'Quentin', 'Queue^', UID];

interface JobView {
  id: string;
  status: string;
  format: string;
  studies: { found: number; retrieved: number; imported: number };
  totalRows: number;
  processedRows: number;
  importedRows: number;
  message: string | null;
}

/**
 * A PACS import posted to an api process (ROLE=api) runs on a worker process (ROLE=worker) through BullMQ
 * on the real Redis, against a real Orthanc: the first worker dies (SIGKILL) inside the import, after it
 * retrieved every study; the next takes the job up, fetches nothing again and finishes it, each lesion once.
 */
(hasSamples && hasRedis ? describeWithOrthanc : describe.skip)('PACS imports on BullMQ: an api process and worker processes, a real Orthanc (e2e)', () => {
  jest.setTimeout(600_000);
  let orthanc: OrthancServer;
  let sandbox: ServiceSandbox;
  let cacheDir: string;
  let api: ServiceProcess;

  const series = (study: number) => `${UID}.${study}.2`;
  const patient = (study: number): PatientStudy => ({
    patientId: 'PQ-1001',
    patientName: 'Queue^Quentin',
    birthDate: '19550505',
    sex: 'M',
    studyUid: `${UID}.${study}`,
    studyDate: ['', '20220110', '20220412'][study],
  });

  beforeAll(async () => {
    const pixels = downsampledRealSlices(SAMPLES, 3, SIDE);
    orthanc = await startOrthanc();
    // Two studies of one patient: three CT slices each and an SR measuring the second slice.
    for (const study of [1, 2]) {
      await loadCtSeries(orthanc, patient(study), series(study), 3, pixels, SIDE);
      await orthanc.load(
        writeSr({
          ...patient(study),
          seriesUid: `${UID}.${study}.9`,
          sopUid: `${UID}.${study}.9.1`,
          measurements: [{ sopUid: `${series(study)}.2`, long: [40, 50, 60, 58], short: [52, 46, 48, 62] }],
        }),
      );
    }
    sandbox = await createServiceSandbox('pacs-queue', (folder) => ({
      ...jobQueueEnv(REDIS_URL),
      ARCHIVE_DECODE_WORKERS: '1',
      DEID_SECRET: 'pacs-queue-e2e-secret-0123456789',
      DICOMWEB_SOURCES: JSON.stringify({ orthanc: orthanc.dicomWebUrl }),
      DICOMWEB_CACHE_DIR: path.join(folder, 'cache'),
      // Kept after the import, so the test can show the second worker fetched nothing again.
      DICOMWEB_CACHE_KEEP: 'true',
    }));
    cacheDir = sandbox.env.DICOMWEB_CACHE_DIR;
    api = await sandbox.start('api');
    await sandbox.createAdminKey('pacs-queue');
  });

  afterAll(async () => {
    await sandbox?.close();
    await orthanc?.stop();
  });

  const post = (body: object) => sandbox.call(api, 'POST', '/api/v1/admin/ingest', { format: 'dicomweb', dataset: 'queued-pacs', ...body });

  it('runs a PACS import posted to the api on a worker; a worker killed inside it leaves it to the next, which fetches nothing again and imports each lesion once', async () => {
    // This worker kills itself (SIGKILL) just before committing the first series, every study retrieved.
    const crashing = await sandbox.start('worker', { LRS_TEST_CRASH_AT: 'ingest-before-commit' });
    const crashed = new Promise<NodeJS.Signals | null>((resolve) => crashing.child.once('exit', (_code, signal) => resolve(signal)));
    const started = await post({ source: 'orthanc', query: { patientId: 'PQ-1001' } });
    expect(started.status).toBe(202);
    const job = (await started.json()) as JobView;
    expect(job).toMatchObject({ status: 'queued', format: 'dicomweb', studies: { found: 2, retrieved: 0, imported: 0 } });

    expect(await crashed).toBe('SIGKILL');
    const [row] = await sandbox.sql<{ status: string; cursor: number; studies_retrieved: number }>(
      `SELECT status, cursor, studies_retrieved FROM ingest_job WHERE id = $1`,
      [job.id],
    );
    expect(row).toEqual({ status: 'running', cursor: 0, studies_retrieved: 2 });
    const cached = cachedInodes(cacheDir);
    // Two studies of three images and an SR.
    expect(cached.size).toBe(8);

    const worker = await sandbox.start('worker');
    const done = await sandbox.importEnded<JobView>(api, job.id);
    expect(done).toMatchObject({
      status: 'completed',
      studies: { found: 2, retrieved: 2, imported: 2 },
      totalRows: 2,
      processedRows: 2,
      importedRows: 2,
      message: null,
    });
    // One job, two lesions (one per study, on the measured slice), none twice.
    expect(await sandbox.sql(`SELECT id FROM ingest_job WHERE dataset = 'queued-pacs'`)).toEqual([{ id: job.id }]);
    const lesions = await sandbox.sql<{ study_index: number; key_slice_index: number }>(
      `SELECT st.study_index, l.key_slice_index FROM lesion l JOIN study st ON st.id = l.study_id JOIN patient p ON p.id = l.patient_id
        WHERE p.dataset = 'queued-pacs' ORDER BY st.study_index`,
    );
    expect(lesions).toEqual([
      { study_index: 1, key_slice_index: 1 },
      { study_index: 2, key_slice_index: 1 },
    ]);
    // The same files (same inodes): the second worker fetched nothing the first had cached, and said so.
    expect(cachedInodes(cacheDir)).toEqual(cached);
    expect(jsonLogLines(worker).find((l) => l.context === 'PacsImport')?.message).toBe(
      `DICOMweb import ${job.id}: 2 studies retrieved (0 instances fetched, the rest already cached)`,
    );
    // The api only checked and queued: it retrieved and imported nothing.
    expect(jsonLogLines(api).filter((l) => l.context === 'PacsImport' || l.context === 'ArchiveImport')).toEqual([]);
    expect(await (await fetch(`${worker.url}/metrics`)).text()).toMatch(/^job_duration_seconds_count\{name="pacs-import",outcome="completed"\} 1$/m);
  });

  it('answers a bad request on the api before any job is queued, as without a queue: 400 unknown source, 404 unknown study', async () => {
    const unknownSource = await post({ source: 'nowhere', studyInstanceUid: `${UID}.1` });
    expect(unknownSource.status).toBe(400);
    expect(((await unknownSource.json()) as { message: string }).message).toMatch(/"nowhere" is not a configured DICOMweb source/);
    const unknownStudy = await post({ source: 'orthanc', studyInstanceUid: `${UID}.404` });
    expect(unknownStudy.status).toBe(404);
    expect(((await unknownStudy.json()) as { message: string }).message).toMatch(/not found on DICOMweb source "orthanc"/);
    expect(await sandbox.sql(`SELECT count(*)::int AS n FROM ingest_job`)).toEqual([{ n: 1 }]);
  });

  it("leaves no UID or Patient ID of the PACS in Redis (the queued studies travel sealed) or in the job's row", async () => {
    const redis = new Redis(REDIS_URL);
    const stored: string[] = [];
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${sandbox.env.QUEUE_PREFIX}:*`, 'COUNT', '200');
        cursor = next;
        for (const name of keys) {
          const type = await redis.type(name);
          const value =
            type === 'hash'
              ? await redis.hgetall(name)
              : type === 'list'
                ? await redis.lrange(name, 0, -1)
                : type === 'zset'
                  ? await redis.zrange(name, '0', '-1')
                  : type === 'set'
                    ? await redis.smembers(name)
                    : type === 'stream'
                      ? await redis.xrange(name, '-', '+')
                      : await redis.get(name);
          stored.push(`${name} ${JSON.stringify(value)}`);
        }
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    const payloads = stored.filter((entry) => entry.includes(':jobs-pacs-import:') && entry.includes('"data"'));
    expect(payloads).toHaveLength(1);
    expect(payloads[0]).toMatch(/\\"studies\\":\\"[A-Za-z0-9_-]{40,}\\"/);
    const jobRow = await sandbox.sql<{ row: string }>(`SELECT row_to_json(j)::text AS row FROM ingest_job j WHERE dataset = 'queued-pacs'`);
    expect(jobRow).toHaveLength(1);
    expect([...leaksIn('redis', stored.join('\n'), IDENTIFYING), ...leaksIn('ingest_job', jobRow[0].row, IDENTIFYING)]).toEqual([]);
  });
});
