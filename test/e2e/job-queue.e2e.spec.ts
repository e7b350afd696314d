import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { jsonLogLines, killServiceProcess, redisAnswers, ServiceProcess as Service, stopServiceProcess as stopService } from '../helpers/service-process';
import { createServiceSandbox, ServiceSandbox } from '../helpers/service-sandbox';
import { SHARED_DIR, waitFor } from '../helpers/test-app';
import { realSlices, uncompressedDicom } from '../helpers/dicom-samples';

const SAMPLES = path.join(SHARED_DIR, 'data/deeplesion-samples');
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const hasSamples = fs.existsSync(path.join(SAMPLES, 'lesions.csv'));
const DICOM_UID = '1.2.826.0.1.3680043.9.7433.15';
const hasRedis = redisAnswers(REDIS_URL);
if (!hasSamples) console.log(`[job-queue e2e] skipped: ${SAMPLES} is absent (real DeepLesion samples, see ../shared/README)`);
else if (!hasRedis) console.log(`[job-queue e2e] skipped: no Redis answers at ${REDIS_URL} (.ci/run starts redis-server when it is installed)`);

interface JobView {
  id: string;
  status: string;
  totalRows: number;
  processedRows: number;
  importedRows: number;
  skippedRows: number;
  embeddedRows: number;
}

/**
 * An API process (ROLE=api) and worker processes (ROLE=worker) on one PostgreSQL and the real Redis,
 * each a `node dist/src/main.js` of its own: CSV and DICOM imports, detection jobs and tag-prediction runs posted to the API run on a
 * worker; a worker killed with SIGKILL mid-import leaves the job to the next one, which finishes it
 * from the committed cursor with every lesion exactly once.
 */
(hasSamples && hasRedis ? describe : describe.skip)('jobs on BullMQ: an api process and worker processes (e2e, real processes, real Redis)', () => {
  jest.setTimeout(600_000);
  const csvRows = hasSamples ? fs.readFileSync(path.join(SAMPLES, 'lesions.csv'), 'utf8').trim().split('\n').length - 1 : 0;
  let sandbox: ServiceSandbox;
  let api: Service;
  let worker: Service;

  beforeAll(async () => {
    sandbox = await createServiceSandbox('job-queue', (folder) => ({
      // The tests read the processes' log lines.
      LOG_LEVEL: 'log',
      LOG_FORMAT: 'json',
      // The metrics checks read counters right after a job: no render cache between two scrapes.
      METRICS_CACHE_MS: '0',
      REDIS_URL,
      // Keys of their own in the shared Redis: no other test (or an earlier run) sees these jobs.
      QUEUE_PREFIX: `test-${randomBytes(6).toString('hex')}`,
      // A dead worker's job is handed on after 2 s instead of 30.
      JOB_LOCK_MS: '2000',
      JOB_BACKOFF_MS: '200',
      INGEST_ROOTS: `${SAMPLES},${folder}`,
      DEID_SECRET: 'job-queue-e2e-secret-0123456789',
      DETECTION_SERIES_ROOT: path.join(folder, 'series'),
      // Small, slowed batches: the import is still running when the worker is killed.
      INGEST_BATCH_SIZE: '4',
      INGEST_BATCH_DELAY_MS: '400',
    }));
    const { work } = sandbox;
    // A short series for the detection job: three real slices, in a folder of the test's own.
    fs.mkdirSync(path.join(work, 'series/s1'), { recursive: true });
    fs.readdirSync(path.join(SAMPLES, 'images'))
      .sort()
      .slice(0, 3)
      .forEach((name, i) => fs.copyFileSync(path.join(SAMPLES, 'images', name), path.join(work, 'series/s1', `${String(i + 1).padStart(3, '0')}.jpg`)));
    // A DICOM folder for the archive import: one CT series of three real slices, a lesion annotated on the second.
    fs.mkdirSync(path.join(work, 'dicom/ct'), { recursive: true });
    realSlices(3).forEach((slice, i) => {
      const bytes = uncompressedDicom(slice, {
        uids: { study: `${DICOM_UID}.1`, series: `${DICOM_UID}.1.2`, sop: `${DICOM_UID}.1.2.${i + 1}` },
        elements: [
          { tag: 0x00100020, vr: 'LO', value: 'JQ-0001' },
          { tag: 0x00200013, vr: 'IS', value: i + 1 },
          { tag: 0x00200032, vr: 'DS', value: [0, 0, 100 + 5 * i] },
        ],
      });
      fs.writeFileSync(path.join(work, 'dicom/ct', `slice-${i}.dcm`), bytes);
    });
    fs.writeFileSync(path.join(work, 'dicom-annotations.csv'), `sop_instance_uid,x1,y1,x2,y2,type\n${DICOM_UID}.1.2.2,200,200,260,250,4\n`);
    api = await sandbox.start('api');
    worker = await sandbox.start('worker');
    await sandbox.createAdminKey('job-queue');
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  const jobOf = async (id: string): Promise<JobView> => (await (await sandbox.call(api, 'GET', `/api/v1/admin/ingest/jobs/${id}`)).json()) as JobView;

  it('runs an import posted to the api on a worker; a worker killed -9 mid-import leaves it to the next, which finishes it with every lesion once', async () => {
    const started = await sandbox.call(api, 'POST', '/api/v1/admin/ingest', {
      format: 'samples',
      csv: path.join(SAMPLES, 'lesions.csv'),
      images: path.join(SAMPLES, 'images'),
      dataset: 'queued-samples',
    });
    expect(started.status).toBe(202);
    const job = (await started.json()) as JobView;
    expect(job).toMatchObject({ status: 'queued', totalRows: csvRows, processedRows: 0 });

    // The worker takes it; the api reads its progress from PostgreSQL.
    const midway = await waitFor(
      async () => {
        const view = await jobOf(job.id);
        return view.status === 'running' && view.processedRows >= 8 && view.processedRows < csvRows && view;
      },
      180_000,
      50,
    );
    expect(midway.processedRows).toBeLessThan(csvRows);
    await killServiceProcess(worker);

    // Nobody else runs it: the api only enqueues.
    const cutOff = (await jobOf(job.id)).processedRows;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await jobOf(job.id)).processedRows).toBe(cutOff);
    expect(cutOff).toBeLessThan(csvRows);

    worker = await sandbox.start('worker');
    const done = await waitFor(
      async () => {
        const view = await jobOf(job.id);
        return (view.status === 'completed' || view.status === 'failed') && view;
      },
      300_000,
      200,
    );
    expect(done).toMatchObject({ status: 'completed', totalRows: csvRows, processedRows: csvRows, importedRows: csvRows, skippedRows: 0 });

    const [{ lesions, keys }] = await sandbox.sql<{ lesions: number; keys: number }>(
      `SELECT count(*)::int AS lesions, count(DISTINCT (l.series_id, l.key_slice_index, l.lesion_in_image))::int AS keys
         FROM lesion l JOIN patient p ON p.id = l.patient_id WHERE p.dataset = 'queued-samples'`,
    );
    expect(lesions).toBe(csvRows);
    expect(keys).toBe(csvRows);
    const [{ embedded }] = await sandbox.sql<{ embedded: number }>(
      `SELECT count(*)::int AS embedded FROM lesion_embedding e JOIN lesion l ON l.id = e.lesion_id JOIN patient p ON p.id = l.patient_id WHERE p.dataset = 'queued-samples'`,
    );
    expect(embedded).toBe(csvRows);

    // The second worker resumed after the committed cursor, and said so in a JSON log line.
    const resumed = jsonLogLines(worker).find((line) => line.context === 'Ingest' && line.message.startsWith(`Resuming import ${job.id} at row `));
    expect(resumed).toBeDefined();
    expect(Number(/at row (\d+)/.exec(resumed!.message)![1])).toBeGreaterThanOrEqual(cutOff);
  });

  it('keeps a worker to /health and /metrics, with the queue counts and job durations there', async () => {
    expect((await sandbox.call(worker, 'GET', '/api/v1/stats')).status).toBe(404);
    expect((await fetch(`${worker.url}/health/live`)).status).toBe(200);
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(metrics).toMatch(/^job_queue_jobs\{name="ingest",state="completed"\} 1$/m);
    // At least one completed try here (a try handed on while its first runner lived on also completes, doing nothing).
    expect(metrics).toMatch(/^job_duration_seconds_count\{name="ingest",outcome="completed"\} [1-9]\d*$/m);
    // The api sees the same queue (Redis) but ran nothing itself.
    const apiMetrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(apiMetrics).toMatch(/^job_queue_jobs\{name="ingest",state="completed"\} 1$/m);
    expect(apiMetrics).not.toMatch(/^job_duration_seconds_count\{name="ingest"/m);
  });

  it('runs a detection job on the worker, and its status and results outlive the api process that accepted it', async () => {
    const started = await sandbox.call(api, 'POST', '/api/v1/detections/jobs', { series: 's1', scoreThreshold: 0 });
    expect(started.status).toBe(202);
    const job = (await started.json()) as { id: string; status: string; total: number };
    expect(job).toMatchObject({ status: 'queued', total: 3 });
    const done = await waitFor(
      async () => {
        const view = (await (await sandbox.call(api, 'GET', `/api/v1/detections/jobs/${job.id}`)).json()) as {
          status: string;
          done: number;
          results?: unknown[];
        };
        return (view.status === 'completed' || view.status === 'failed') && view;
      },
      300_000,
      200,
    );
    expect(done).toMatchObject({ status: 'completed', done: 3 });

    await stopService(api);
    api = await sandbox.start('api');
    const after = await sandbox.call(api, 'GET', `/api/v1/detections/jobs/${job.id}`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual(done);
  });

  it('runs a tag-prediction run posted to the api on the worker; the api reads the run from PostgreSQL', async () => {
    type Run = { status: string; lesions: number; tags: number };
    const started = await sandbox.call(api, 'POST', '/api/v1/admin/tags/predict');
    expect(started.status).toBe(202);
    expect(((await started.json()) as { queued: boolean }).queued).toBe(true);
    const done = await waitFor(
      async () => {
        const view = (await (await sandbox.call(api, 'GET', '/api/v1/admin/tags/predict')).json()) as { latest: Run | null; running: boolean };
        return view.latest && !view.running && view.latest.status !== 'running' && view.latest;
      },
      300_000,
      200,
    );
    expect(done.status).toBe('done');
    // The worker predicted, the api (which only enqueues) did not.
    const predicted = (service: Service) => jsonLogLines(service).filter((line) => line.context === 'TagPrediction' && line.message.startsWith('Predicted '));
    expect(predicted(worker)).toHaveLength(1);
    expect(predicted(api)).toHaveLength(0);
    expect(await (await fetch(`${worker.url}/metrics`)).text()).toMatch(/^job_duration_seconds_count\{name="tag-prediction",outcome="completed"\} 1$/m);
  });

  it('runs a DICOM folder import posted to the api on the worker; the api reads the job from PostgreSQL', async () => {
    const body = {
      format: 'dicom',
      dir: path.join(sandbox.work, 'dicom'),
      annotations: path.join(sandbox.work, 'dicom-annotations.csv'),
      dataset: 'queued-dicom',
    };
    const started = await sandbox.call(api, 'POST', '/api/v1/admin/ingest', body);
    expect(started.status).toBe(202);
    const job = (await started.json()) as JobView;
    expect(job.status).toBe('queued');
    const done = await waitFor(
      async () => {
        const view = await jobOf(job.id);
        return (view.status === 'completed' || view.status === 'failed') && view;
      },
      300_000,
      200,
    );
    expect(done).toMatchObject({ status: 'completed', importedRows: 1 });
    const [{ lesions }] = await sandbox.sql<{ lesions: number }>(
      `SELECT count(*)::int AS lesions FROM lesion l JOIN patient p ON p.id = l.patient_id WHERE p.dataset = 'queued-dicom'`,
    );
    expect(lesions).toBe(1);
    expect(await (await fetch(`${worker.url}/metrics`)).text()).toMatch(/^job_duration_seconds_count\{name="dicom-import",outcome="completed"\} [1-9]\d*$/m);
    expect(await (await fetch(`${api.url}/metrics`)).text()).not.toMatch(/^job_duration_seconds_count\{name="dicom-import"/m);
  });

  it('answers 503 with Retry-After for a job beyond JOB_QUEUE_MAX_WAITING, and names the cause', async () => {
    await stopService(api);
    // A queue of its own that no worker serves, with room for one waiting job: the first waits, the second is refused.
    api = await sandbox.start('api', { JOB_QUEUE_MAX_WAITING: '1', QUEUE_PREFIX: `${sandbox.env.QUEUE_PREFIX}-full` });
    expect((await sandbox.call(api, 'POST', '/api/v1/detections/jobs', { series: 's1' })).status).toBe(202);
    const refused = await sandbox.call(api, 'POST', '/api/v1/detections/jobs', { series: 's1' });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { message: string }).message).toMatch(/Too many detection jobs are waiting/);
  });
});
