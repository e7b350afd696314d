import { BadRequestException, ConflictException, Logger, NotFoundException } from '@nestjs/common';
import { Stats } from 'node:fs';
import * as path from 'node:path';
import { QueryRunner } from 'typeorm';
import { ALL_DATASETS, scopeOf } from '../../src/common/dataset-scope';
import { PathKind, PathRefusal, PathRefusedError } from '../../src/common/path-guard';
import { AppConfig } from '../../src/config/app-config';
import { ImageFormatError } from '../../src/imaging/hu-image';
import { ImageHeader } from '../../src/imaging/image-header';
import { EmbeddingService } from '../../src/ingest-jobs/embedding.service';
import { IngestJobEntity, IngestJobStatus } from '../../src/ingest-jobs/ingest-job.entity';
import { BatchProgress, CheckedLesion, IngestRepository } from '../../src/ingest-jobs/ingest.repository';
import { IngestRequest } from '../../src/ingest-jobs/ingest.types';
import { IngestService } from '../../src/ingest/ingest.service';
import { IngestJobPayload } from '../../src/jobs/job-payloads';
import { JobContext, JobHandler, JobQueue } from '../../src/jobs/job-queue.port';
import { LesionsService } from '../../src/lesions/lesions.service';
import { TagPredictionService } from '../../src/tags/prediction/tag-prediction.service';
import { VocabularyService } from '../../src/tags/vocabulary.service';
import { DL_HEADER, dlInfoRow } from '../helpers/fixtures';
import { asDependency, mockMethods } from '../helpers/typed-mocks';

// The fields a job view is made of; the entity's other columns do not reach the service's answers.
const job = (id: string, dataset: string) =>
  ({
    id,
    status: 'completed',
    format: 'deeplesion',
    dataset,
    csvPath: `/srv/imports/${dataset}/DL_info.csv`,
    totalRows: 10,
    cursor: 10,
    importedRows: 9,
    skippedRows: 1,
    embeddedRows: 9,
    errors: [],
    message: null,
    startedAt: new Date(0),
    updatedAt: new Date(10_000),
    finishedAt: new Date(10_000),
  }) as unknown as IngestJobEntity;

function setup(distributed = false) {
  const repository = mockMethods<IngestRepository>()({
    getJob: async (id: string) => (id === 'a1' ? job('a1', 'site-a') : id === 'b1' ? job('b1', 'site-b') : null),
    listJobs: async () => [job('a1', 'site-a'), job('b1', 'site-b'), job('a2', 'site-a')],
    markOrphansInterrupted: async () => 2,
  });
  const queue = mockMethods<JobQueue>()({ assertRoom: async () => undefined, enqueue: async () => undefined, handle: () => undefined });
  const service = new IngestService(
    asDependency<IngestRepository>(repository),
    asDependency<EmbeddingService>({}),
    { ingest: { roots: null, maxCsvBytes: 1 << 20, maxCsvLineLength: 1 << 16 } } as unknown as AppConfig,
    asDependency<VocabularyService>({}),
    asDependency<TagPredictionService>({}),
    asDependency<LesionsService>({}),
    asDependency<JobQueue>({ ...queue, distributed }),
  );
  return { service, repository, queue };
}

describe('IngestService (typed repository mocks)', () => {
  it('shows a job with its file name only, never the server path', async () => {
    const { service } = setup();
    const view = await service.getJob('a1');
    expect(view).toMatchObject({ id: 'a1', source: 'DL_info.csv', processedRows: 10, importedRows: 9, percent: 100 });
    expect(JSON.stringify(view)).not.toContain('/srv/imports');
  });

  it('answers a job of another dataset exactly like a missing one', async () => {
    const { service } = setup();
    await expect(service.getJob('b1', scopeOf(['site-a']))).rejects.toThrow(new NotFoundException('No import job b1'));
    await expect(service.getJob('zz', scopeOf(['site-a']))).rejects.toThrow(new NotFoundException('No import job zz'));
    expect((await service.getJob('b1', ALL_DATASETS)).dataset).toBe('site-b');
  });

  it("lists only the jobs of the scope's datasets, asking the repository for the limit", async () => {
    const { service, repository } = setup();
    expect((await service.listJobs(scopeOf(['site-a']), 20)).map((j) => j.id)).toEqual(['a1', 'a2']);
    expect(repository.listJobs).toHaveBeenCalledWith(20);
    expect((await service.listJobs()).map((j) => j.id)).toEqual(['a1', 'b1', 'a2']);
  });

  it('marks imports cut off by a previous stop as interrupted at start', async () => {
    const { service, repository } = setup();
    await service.onApplicationBootstrap();
    expect(repository.markOrphansInterrupted).toHaveBeenCalledTimes(1);
  });

  it('refuses a DICOM format on the shared queue with a 400 before checking room or queueing', async () => {
    const { service, queue } = setup(true);
    for (const format of ['dicom', 'dicomweb'] as const) {
      await expect(service.submit({ format, csvPath: '/x.csv', imagesDir: '/x', dataset: 'site-a' })).rejects.toThrow(
        new BadRequestException(`format ${format} is imported by the DICOM archive importer, not as a CSV import`),
      );
    }
    expect(queue.assertRoom).not.toHaveBeenCalled();
    expect(queue.enqueue).not.toHaveBeenCalled();
  });
});

// ---- Imports run through the service with an in-memory repository -------------------------------------------

const SAMPLES_HEADER = 'image,patient_index,study_index,series_id,key_slice_index,lesion_in_image,coarse_type,x1,y1,x2,y2';
/** A samples lesions.csv of `rows` valid rows (row i: image row-i.png, key slice i); `override` replaces whole lines by row. */
const samplesCsv = (rows: number, override: Record<number, string> = {}) =>
  [SAMPLES_HEADER, ...Array.from({ length: rows }, (_, i) => override[i] ?? `row-${i}.png,1,1,1,${i},0,4,10,10,20,20`)].join('\n') + '\n';

const CSV = '/srv/imports/site-a/lesions.csv';
const IMAGES = '/srv/imports/site-a/images';
const request: IngestRequest = { format: 'samples', csvPath: CSV, imagesDir: IMAGES, dataset: 'site-a' };
const GREY_8: ImageHeader = { format: 'png', width: 64, height: 64, bitDepth: 8, channels: 1 };
const RUNNER = {} as QueryRunner;
const INTERNAL_ERROR =
  'the import stopped on an internal error (see the service log); run it again: a new job re-reads the source, and rows already imported are updated in place, not duplicated';
const SOURCE_CHANGED = 'the CSV file changed during the import; run it again';

interface CommittedBatch {
  jobId: string;
  dataset: string;
  lesions: CheckedLesion[];
  /** Source rows of the lesions written. */
  rows: number[];
  progress: BatchProgress;
}

/**
 * The service over a repository that keeps jobs in memory and records what would be written. `csv`: the
 * file's text, or its text at each read (the last repeats): an import reads it once to check it, once to import.
 */
function importHarness(options: { csv: string | string[]; batchSize?: number; distributed?: boolean; embedOnIngest?: boolean; roots?: string[] }) {
  const jobs = new Map<string, IngestJobEntity>();
  const batches: CommittedBatch[] = [];
  const lockCalls: { fingerprint: string; wait: boolean }[] = [];
  const state = {
    csv: options.csv,
    reads: 0,
    closes: 0,
    lockHeld: false,
    /** Refusals of guard(): path → reason. */
    refused: new Map<string, PathRefusal>(),
    /** What reading an image's header gives instead of GREY_8: path under the images folder → header or thrown error. */
    images: new Map<string, ImageHeader | Error>(),
    /** Thrown by the nth commitBatch (1-based), when set. */
    commitFault: null as { at: number; error: Error } | null,
    finishFault: null as Error | null,
    /** Thrown by the nth read of the CSV (1-based) after its first chunk. */
    readFault: null as { at: number; error: Error } | null,
  };
  const copy = (job: IngestJobEntity): IngestJobEntity => ({ ...job, errors: [...job.errors] });
  const update = (id: string, fields: Partial<IngestJobEntity>) => {
    const job = jobs.get(id);
    if (job) jobs.set(id, { ...job, ...fields, updatedAt: new Date() });
  };
  let nextId = 1;
  let nextLesionId = 100;
  const repository = mockMethods<IngestRepository>()({
    realRoots: async (roots: readonly string[]) => [...roots],
    guard: async (target: string, kind: PathKind) => {
      const reason = state.refused.get(target);
      if (reason) throw new PathRefusedError(reason, reason === 'too-large' ? 'it is over 1048576 bytes' : `refused: ${reason}`);
      return { path: target, stat: { size: kind === 'file' ? 1000 : 0 } as Stats };
    },
    openCsv: async () => ({
      size: 1000,
      chunks: () => {
        const read = ++state.reads;
        const texts = Array.isArray(state.csv) ? state.csv : [state.csv];
        const text = texts[Math.min(read, texts.length) - 1];
        const fault = state.readFault?.at === read ? state.readFault.error : null;
        return (async function* () {
          // Two chunks, cut mid-record: the reader must join them.
          yield Buffer.from(text.slice(0, 70));
          if (fault) throw fault;
          yield Buffer.from(text.slice(70));
        })();
      },
      close: async () => {
        state.closes++;
      },
    }),
    readImageHeader: async (file: string) => {
      const found = state.images.get(path.relative(IMAGES, file));
      if (found instanceof Error) throw found;
      return { header: found ?? GREY_8, path: file };
    },
    withSourceLock: async <T>(fingerprint: string, work: (runner: QueryRunner) => Promise<T>, lockOptions: { wait?: boolean } = {}): Promise<T | 'locked'> => {
      lockCalls.push({ fingerprint, wait: lockOptions.wait === true });
      if (state.lockHeld && !lockOptions.wait) return 'locked';
      return work(RUNNER);
    },
    findResumable: async (_runner: QueryRunner, fingerprint: string) => {
      const resumable = [...jobs.values()].filter((j) => j.fingerprint === fingerprint && ['running', 'interrupted', 'queued'].includes(j.status));
      return resumable.length ? copy(resumable[resumable.length - 1]) : null;
    },
    createJob: async (_runner, fields, status = 'running') => {
      const now = new Date();
      const job = {
        ...fields,
        id: `job-${nextId++}`,
        status,
        cursor: 0,
        importedRows: 0,
        skippedRows: 0,
        embeddedRows: 0,
        filesWalked: 0,
        errors: [],
        message: null,
        startedAt: now,
        updatedAt: now,
        finishedAt: null,
      } as IngestJobEntity;
      jobs.set(job.id, job);
      return copy(job);
    },
    markRunning: async (_runner: QueryRunner, id: string) => update(id, { status: 'running' }),
    markQueued: async (_runner: QueryRunner, id: string, message: string | null = null) => update(id, { status: 'queued', message, finishedAt: null }),
    findJob: async (_runner: QueryRunner, id: string) => (jobs.has(id) ? copy(jobs.get(id)!) : null),
    getJob: async (id: string) => (jobs.has(id) ? copy(jobs.get(id)!) : null),
    finishJob: async (id: string, status: IngestJobStatus, message: string | null) => {
      if (state.finishFault) throw state.finishFault;
      update(id, { status, message, finishedAt: new Date() });
    },
    markOrphansInterrupted: async () => {
      const orphans = [...jobs.values()].filter((j) => j.status === 'running');
      orphans.forEach((j) => update(j.id, { status: 'interrupted' }));
      return orphans.length;
    },
    findCompleted: async (fingerprint: string) => [...jobs.values()].find((j) => j.fingerprint === fingerprint && j.status === 'completed') ?? null,
    commitBatch: async (_runner, dataset, jobId, lesions, progress) => {
      if (state.commitFault && state.commitFault.at === batches.length + 1) throw state.commitFault.error;
      batches.push({ jobId, dataset, lesions, rows: lesions.map((l) => l.record.sourceRow), progress });
      const job = jobs.get(jobId)!;
      update(jobId, {
        cursor: progress.cursor,
        importedRows: job.importedRows + progress.imported,
        skippedRows: job.skippedRows + progress.skipped,
        errors: [...job.errors, ...progress.errors],
      });
      return lesions.map(() => nextLesionId++);
    },
    addEmbedded: async (jobId: string, count: number) => update(jobId, { embeddedRows: jobs.get(jobId)!.embeddedRows + count }),
  });
  const embeddingState = { available: true };
  const embedding = mockMethods<EmbeddingService>()({
    isAvailable: () => embeddingState.available,
    embedMissing: async (embedOptions = {}) => {
      const embedded = embedOptions.onlyIds?.length ?? 1;
      return { total: embedded, done: embedded, embedded, failed: 0, modelId: 'model-1', failures: [] };
    },
    snapshotIndex: async () => undefined,
  });
  const vocabulary = mockMethods<VocabularyService>()({ syncCoarseTypeTags: async () => 0 });
  const tagPrediction = mockMethods<TagPredictionService>()({ schedule: () => undefined });
  const lesions = mockMethods<LesionsService>()({ forgetViews: () => undefined });
  const handlers = new Map<string, JobHandler<'ingest'>>();
  const queue = mockMethods<JobQueue>()({
    assertRoom: async () => undefined,
    enqueue: async () => undefined,
    handle: (name, handler) => void handlers.set(name, handler as JobHandler<'ingest'>),
  });
  const config = {
    ingest: {
      batchSize: options.batchSize ?? 2,
      maxStoredErrors: 10,
      imageCheckConcurrency: 2,
      batchDelayMs: 0,
      roots: options.roots ?? ['/srv/imports'],
      maxCsvBytes: 1 << 20,
      maxCsvLineLength: 1 << 16,
      maxImageBytes: 1 << 20,
    },
    encoder: { embedOnIngest: options.embedOnIngest ?? false },
  } as unknown as AppConfig;
  const service = new IngestService(
    asDependency<IngestRepository>(repository),
    asDependency<EmbeddingService>(embedding),
    config,
    asDependency<VocabularyService>(vocabulary),
    asDependency<TagPredictionService>(tagPrediction),
    asDependency<LesionsService>(lesions),
    asDependency<JobQueue>({ ...queue, distributed: options.distributed ?? false }),
  );
  service.onModuleInit();
  /** The worker's side of the queue: runs the last enqueued ingest job as a worker would. */
  const runEnqueued = (context: JobContext = { attempt: 1, finalAttempt: false }) => {
    const [name, payload] = queue.enqueue.mock.calls[queue.enqueue.mock.calls.length - 1];
    expect(name).toBe('ingest');
    return handlers.get('ingest')!(payload as IngestJobPayload, context);
  };
  const jobOf = (id: string) => jobs.get(id)!;
  /** Every source row written, in the order written. */
  const writtenRows = () => batches.flatMap((b) => b.rows);
  return {
    service,
    repository,
    embedding,
    vocabulary,
    tagPrediction,
    lesions,
    queue,
    embeddingState,
    state,
    jobs,
    batches,
    lockCalls,
    runEnqueued,
    jobOf,
    writtenRows,
  };
}

/** The service's log lines, kept off the console; a test reads the ones an operator relies on. */
let logged: jest.SpyInstance;
beforeEach(() => {
  logged = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

const transient = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe('IngestService imports (in-memory repository)', () => {
  it('imports every row in batches from a new job, then completes it, syncs coarse-type tags and schedules predictions', async () => {
    const h = importHarness({ csv: samplesCsv(5) });
    const progress: number[] = [];
    const done = await h.service.run(request, (view) => progress.push(view.processedRows));
    expect(done).toMatchObject({ status: 'completed', totalRows: 5, processedRows: 5, importedRows: 5, skippedRows: 0, source: 'lesions.csv' });
    expect(h.batches.map((b) => b.rows)).toEqual([[0, 1], [2, 3], [4]]);
    expect(h.batches.map((b) => b.progress.cursor)).toEqual([2, 4, 5]);
    expect(h.batches.every((b) => b.dataset === 'site-a' && b.jobId === done.id)).toBe(true);
    expect(progress).toEqual([2, 4, 5]);
    expect(h.lesions.forgetViews).toHaveBeenCalledTimes(3);
    expect(h.vocabulary.syncCoarseTypeTags).toHaveBeenCalledTimes(1);
    expect(h.tagPrediction.schedule).toHaveBeenCalledTimes(1);
    // Paths from the API are confined to INGEST_ROOTS; the lock is tried, not waited for; the CSV is closed.
    expect(h.repository.realRoots).toHaveBeenCalledWith(['/srv/imports']);
    expect(h.repository.guard).toHaveBeenCalledWith(CSV, 'file', expect.objectContaining({ roots: ['/srv/imports'] }));
    expect(h.lockCalls).toEqual([{ fingerprint: h.jobOf(done.id).fingerprint, wait: false }]);
    expect(h.state.closes).toBe(1);
  });

  it('answers 409 when an import of the same file holds the source lock, and writes nothing', async () => {
    const h = importHarness({ csv: samplesCsv(3) });
    h.state.lockHeld = true;
    await expect(h.service.start(request)).rejects.toThrow(new ConflictException('An import of this file is already running'));
    expect(h.lockCalls).toHaveLength(1);
    expect(h.jobs.size).toBe(0);
    expect(h.batches).toHaveLength(0);
    expect(h.repository.finishJob).not.toHaveBeenCalled();
    expect(h.state.closes).toBe(1);
  });

  it('resumes an interrupted import at its committed cursor: the rows before it are not written again', async () => {
    const h = importHarness({ csv: samplesCsv(5) });
    // The first run commits rows 0-1, then loses its database: the job is left 'running' at cursor 2.
    h.state.commitFault = { at: 2, error: new Error('Connection terminated') };
    h.state.finishFault = new Error('Connection terminated');
    const first = await h.service.run(request);
    expect(first).toMatchObject({ status: 'running', processedRows: 2 });
    await h.service.onApplicationBootstrap();
    expect(h.jobOf(first.id).status).toBe('interrupted');

    h.state.commitFault = null;
    h.state.finishFault = null;
    const second = await h.service.run(request);
    expect(second).toMatchObject({ id: first.id, status: 'completed', processedRows: 5, importedRows: 5 });
    expect(h.repository.createJob).toHaveBeenCalledTimes(1);
    expect(h.repository.markRunning).toHaveBeenCalledWith(RUNNER, first.id);
    expect(h.batches.map((b) => b.rows)).toEqual([[0, 1], [2, 3], [4]]);
    expect(h.writtenRows()).toEqual([0, 1, 2, 3, 4]);
    expect(logged).toHaveBeenCalledWith(`Resuming import ${first.id} at row 2 of 5`);
  });

  it('starts a new job from row 0 when the resumable one counted another number of rows', async () => {
    const h = importHarness({ csv: samplesCsv(3) });
    h.state.commitFault = { at: 2, error: new Error('Connection terminated') };
    h.state.finishFault = new Error('Connection terminated');
    const first = await h.service.run(request);
    h.jobs.set(first.id, { ...h.jobOf(first.id), status: 'interrupted', totalRows: 7 });
    h.state.commitFault = null;
    h.state.finishFault = null;
    const second = await h.service.run(request);
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ status: 'completed', processedRows: 3 });
    expect(h.writtenRows()).toEqual([0, 1, 0, 1, 2]);
  });

  it('fails the job with a generic message on an internal error', async () => {
    const h = importHarness({ csv: samplesCsv(3) });
    h.state.commitFault = { at: 1, error: new Error('duplicate key value violates unique constraint "lesion_pkey"') };
    const failed = await h.service.run(request);
    expect(failed).toMatchObject({ status: 'failed', message: INTERNAL_ERROR, processedRows: 0 });
    expect(h.vocabulary.syncCoarseTypeTags).not.toHaveBeenCalled();
    expect(h.tagPrediction.schedule).not.toHaveBeenCalled();
    expect(h.state.closes).toBe(1);
  });

  // Batches of 2: a change is found at the latest when the file ends, and no batch goes past the rows counted when the job began.
  it.each([
    ['more rows than when it was checked', [samplesCsv(2), samplesCsv(5)], [0, 1]],
    ['fewer rows than when it was checked', [samplesCsv(3), samplesCsv(2)], [0, 1]],
    ['the same number of rows with other bytes', [samplesCsv(3), samplesCsv(3, { 2: 'row-2.png,1,1,1,2,0,5,10,10,20,20' })], [0, 1]],
    // A line before the header: the rows after it would count right, but nothing is written after a header that does not parse.
    ['a header this format does not read', [samplesCsv(2), `not,a,header\n${samplesCsv(2)}`], []],
  ])('fails the job as "changed during the import" when the CSV has %s on the second read', async (_what, texts, written) => {
    const h = importHarness({ csv: texts });
    const failed = await h.service.run(request);
    expect(failed).toMatchObject({ status: 'failed', message: SOURCE_CHANGED });
    expect(h.writtenRows()).toEqual(written);
    expect(h.repository.finishJob).not.toHaveBeenCalledWith(failed.id, 'completed', null, RUNNER);
  });

  it('fails the job, naming the reason, when the CSV cannot be read any more', async () => {
    const h = importHarness({ csv: samplesCsv(3) });
    h.state.readFault = { at: 2, error: new PathRefusedError('too-large', 'it is over 1048576 bytes') };
    const failed = await h.service.run(request);
    expect(failed).toMatchObject({ status: 'failed', message: 'the CSV file cannot be read any more: it is over 1048576 bytes (INGEST_MAX_CSV_BYTES)' });
  });

  it('imports the valid rows of a batch and reports each skipped one with its line and reason', async () => {
    const h = importHarness({ csv: samplesCsv(8, { 1: 'row-1.png,1,1,1,1,0,0,10,10,20,20' }), batchSize: 8 });
    h.state.images.set('row-2.png', new PathRefusedError('not-found', 'no such file'));
    h.state.images.set('row-3.png', new ImageFormatError('not a PNG or JPEG image'));
    h.state.images.set('row-4.png', new Error('EIO: i/o error'));
    h.state.images.set('row-5.png', { ...GREY_8, bitDepth: 16 });
    h.state.images.set('row-6.png', { ...GREY_8, width: 15 });
    h.state.images.set('row-7.png', new PathRefusedError('too-large', 'it is over 1048576 bytes'));
    const done = await h.service.run(request);
    expect(done).toMatchObject({ status: 'completed', processedRows: 8, importedRows: 1, skippedRows: 7 });
    expect(h.writtenRows()).toEqual([0]);
    expect(done.errors).toEqual([
      { line: 3, message: 'coarse_type: 0 is not a coarse type (1..8, or -1 for unlabelled)' },
      { line: 4, message: 'image not found under INGEST_ROOTS: row-2.png' },
      { line: 5, message: 'image row-3.png: not a PNG or JPEG image' },
      { line: 6, message: 'image row-4.png: cannot be read' },
      { line: 7, message: 'image row-5.png: expected an 8-bit image, found 16-bit' },
      { line: 8, message: 'box lies outside the 15x64 image row-6.png' },
      { line: 9, message: 'image row-7.png: it is over 1048576 bytes (INGEST_MAX_IMAGE_BYTES)' },
    ]);
  });

  it('checks 16-bit DeepLesion slices against the CSV and numbers the lesions of one key slice in file order', async () => {
    const rows = [
      { patient: 1, study: 1, series: 1, slice: 12 },
      { patient: 1, study: 1, series: 1, slice: 12, box: [30, 30, 50, 50] as [number, number, number, number] },
      { patient: 1, study: 1, series: 1, slice: 13 },
      { patient: 2, study: 1, series: 1, slice: 5 },
    ];
    const h = importHarness({ csv: [DL_HEADER, ...rows.map((row) => dlInfoRow(row))].join('\n') + '\n', batchSize: 8 });
    const png16: ImageHeader = { format: 'png', width: 64, height: 64, bitDepth: 16, channels: 1 };
    h.state.images.set('000001_01_01/012.png', png16);
    h.state.images.set('000001_01_01/013.png', { ...png16, bitDepth: 8 });
    h.state.images.set('000002_01_01/005.png', { ...png16, width: 32, height: 32 });
    const done = await h.service.run({ ...request, format: 'deeplesion' });
    expect(done.errors).toEqual([
      { line: 4, message: 'image 000001_01_01/013.png: expected a 16-bit greyscale PNG, found png 8-bit with 1 channel(s)' },
      { line: 5, message: 'image 000002_01_01/005.png: is 32x32, the CSV says 64x64' },
    ]);
    const [batch] = h.batches;
    expect(batch.lesions.map((l) => [l.record.sourceRow, l.record.lesionInImage])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(batch.lesions[0]).toMatchObject({ imagePath: path.join(IMAGES, '000001_01_01/012.png'), slicesDir: path.join(IMAGES, '000001_01_01') });
    // Every parsed row counts on its key slice, also one whose image then failed.
    expect([...batch.progress.keySliceCounts.values()].sort()).toEqual([1, 1, 2]);
  });

  it("reads an operator's paths without INGEST_ROOTS, and says so when an image is missing", async () => {
    const h = importHarness({ csv: samplesCsv(1) });
    h.state.images.set('row-0.png', new PathRefusedError('not-found', 'no such file'));
    const done = await h.service.run({ ...request, pathsFrom: 'operator' });
    expect(h.repository.realRoots).not.toHaveBeenCalled();
    expect(h.repository.guard).toHaveBeenCalledWith(CSV, 'file', expect.objectContaining({ roots: null }));
    expect(done.errors).toEqual([{ line: 2, message: 'image not found: row-0.png' }]);
  });

  it('embeds each batch as it lands, then catches up what a crash left behind and snapshots the index', async () => {
    const h = importHarness({ csv: samplesCsv(3), embedOnIngest: true });
    const done = await h.service.run(request);
    const calls = h.embedding.embedMissing.mock.calls.map(([options]) => options?.onlyIds?.length ?? 'all');
    expect(calls).toEqual([2, 1, 'all']);
    // 3 embedded with their batches, 1 by the catch-up.
    expect(done.embeddedRows).toBe(4);
    expect(h.embedding.snapshotIndex).toHaveBeenCalledTimes(1);
  });

  it('imports without embedding when the encoder is not available', async () => {
    const h = importHarness({ csv: samplesCsv(3), embedOnIngest: true });
    h.embeddingState.available = false;
    const done = await h.service.run(request);
    expect(done).toMatchObject({ status: 'completed', embeddedRows: 0 });
    expect(h.embedding.embedMissing).not.toHaveBeenCalled();
    expect(h.embedding.snapshotIndex).not.toHaveBeenCalled();
  });

  it('completes the job even when the coarse-type tags cannot be synced', async () => {
    const h = importHarness({ csv: samplesCsv(2) });
    h.vocabulary.syncCoarseTypeTags.mockRejectedValueOnce(new Error('vocabulary locked'));
    expect((await h.service.run(request)).status).toBe('completed');
    expect(h.tagPrediction.schedule).toHaveBeenCalledTimes(1);
  });

  describe('checks the request before anything is written', () => {
    it.each([
      ['a CSV missing under INGEST_ROOTS', 'api', { [CSV]: 'not-found' }, 'Cannot read the CSV file lesions.csv: it does not exist under INGEST_ROOTS'],
      [
        "a CSV missing from an operator's path",
        'operator',
        { [CSV]: 'not-found' },
        'Cannot read the CSV file lesions.csv: it does not exist or cannot be read',
      ],
      ['a CSV over the size bound', 'api', { [CSV]: 'too-large' }, 'Cannot read the CSV file lesions.csv: it is over 1048576 bytes (INGEST_MAX_CSV_BYTES)'],
      ['an images folder that is a file', 'api', { [IMAGES]: 'wrong-kind' }, 'Cannot read the images folder images: refused: wrong-kind'],
    ] as const)('refuses %s', async (_what, pathsFrom, refused, message) => {
      const h = importHarness({ csv: samplesCsv(2) });
      for (const [target, reason] of Object.entries(refused)) h.state.refused.set(target, reason);
      await expect(h.service.start({ ...request, pathsFrom })).rejects.toThrow(new BadRequestException(message));
      expect(h.lockCalls).toHaveLength(0);
      expect(h.jobs.size).toBe(0);
    });

    it.each([
      ['an empty CSV', '', 'lesions.csv: the CSV is empty'],
      [
        'a header this format does not read',
        'image,x1,y1\nrow-0.png,1,1\n',
        'lesions.csv: not a samples lesions.csv header: missing column(s) patient_index, study_index, series_id, key_slice_index, lesion_in_image, coarse_type, x2, y2',
      ],
    ])('refuses %s and closes the file', async (_what, csv, message) => {
      const h = importHarness({ csv });
      await expect(h.service.start(request)).rejects.toThrow(new BadRequestException(message));
      expect(h.state.closes).toBe(1);
      expect(h.lockCalls).toHaveLength(0);
    });

    it('refuses an HU window whose high is not above its low', async () => {
      const h = importHarness({ csv: samplesCsv(2) });
      await expect(h.service.start({ ...request, huWindow: { low: 100, high: 100 } })).rejects.toThrow(
        new BadRequestException('huWindow must have high > low'),
      );
      expect(h.repository.openCsv).not.toHaveBeenCalled();
    });
  });

  describe('runUnlessDone', () => {
    it('returns the earlier job without importing again when this exact source was imported completely', async () => {
      const h = importHarness({ csv: samplesCsv(2) });
      const first = await h.service.runUnlessDone(request);
      expect(first).toMatchObject({ alreadyDone: false, job: { status: 'completed', processedRows: 2 } });
      const again = await h.service.runUnlessDone(request);
      expect(again).toMatchObject({ alreadyDone: true, job: { id: first.job.id } });
      expect(h.batches).toHaveLength(1);
      expect(h.lockCalls).toHaveLength(1);
      expect(h.state.closes).toBe(2);
    });

    it('closes the CSV when the completed-job look-up fails', async () => {
      const h = importHarness({ csv: samplesCsv(2) });
      h.repository.findCompleted.mockRejectedValueOnce(new Error('connection refused'));
      await expect(h.service.runUnlessDone(request)).rejects.toThrow('connection refused');
      expect(h.state.closes).toBe(1);
      expect(h.lockCalls).toHaveLength(0);
    });
  });
});

describe('IngestService on the shared queue: submit on the api, runQueued on a worker', () => {
  it('starts in-process without a shared queue', async () => {
    const h = importHarness({ csv: samplesCsv(2) });
    const job = await h.service.submit(request);
    expect(job.status).toBe('running');
    expect(h.queue.enqueue).not.toHaveBeenCalled();
  });

  it('creates the job as queued and enqueues its request; a worker then runs it to the end', async () => {
    const h = importHarness({ csv: samplesCsv(3), distributed: true });
    const queued = await h.service.submit({ ...request, huWindow: { low: -160, high: 240 } });
    expect(queued).toMatchObject({ status: 'queued', totalRows: 3, processedRows: 0 });
    expect(h.queue.assertRoom).toHaveBeenCalledWith('ingest');
    expect(h.queue.enqueue).toHaveBeenCalledWith('ingest', {
      jobId: queued.id,
      request: { format: 'samples', csvPath: CSV, imagesDir: IMAGES, dataset: 'site-a', pathsFrom: 'api', huWindow: { low: -160, high: 240 } },
    });
    expect(h.batches).toHaveLength(0);
    expect(h.state.closes).toBe(1);

    await h.runEnqueued();
    expect(h.jobOf(queued.id)).toMatchObject({ status: 'completed', cursor: 3, importedRows: 3 });
    expect(h.writtenRows()).toEqual([0, 1, 2]);
    // The worker waits for the lock instead of answering "already running".
    expect(h.lockCalls.map((c) => c.wait)).toEqual([false, true]);
    expect(h.state.closes).toBe(2);
  });

  it('answers 409 on submit when the source lock is held, without queueing', async () => {
    const h = importHarness({ csv: samplesCsv(2), distributed: true });
    h.state.lockHeld = true;
    await expect(h.service.submit(request)).rejects.toThrow(new ConflictException('An import of this file is already running'));
    expect(h.jobs.size).toBe(0);
    expect(h.queue.enqueue).not.toHaveBeenCalled();
    expect(h.state.closes).toBe(1);
  });

  it('requeues an unfinished job of the same file instead of creating another, and the worker resumes it at its cursor', async () => {
    const h = importHarness({ csv: samplesCsv(5), distributed: true });
    const queued = await h.service.submit(request);
    // A worker commits rows 0-1, then loses its database: the job is left 'running' at cursor 2.
    h.state.commitFault = { at: 2, error: new Error('worker stopped') };
    h.state.finishFault = new Error('worker stopped');
    await h.runEnqueued();
    expect(h.jobOf(queued.id)).toMatchObject({ status: 'running', cursor: 2 });
    h.state.commitFault = null;
    h.state.finishFault = null;

    const again = await h.service.submit(request);
    expect(again).toMatchObject({ id: queued.id, status: 'queued', processedRows: 2 });
    expect(h.repository.createJob).toHaveBeenCalledTimes(1);
    await h.runEnqueued();
    expect(h.jobOf(queued.id)).toMatchObject({ status: 'completed', cursor: 5, importedRows: 5 });
    expect(h.writtenRows()).toEqual([0, 1, 2, 3, 4]);
    expect(logged).toHaveBeenCalledWith(`Resuming import ${queued.id} at row 2 of 5`);
  });

  it('leaves a job that is already finished (a second delivery) untouched', async () => {
    const h = importHarness({ csv: samplesCsv(2), distributed: true });
    const queued = await h.service.submit(request);
    await h.runEnqueued();
    const finished = h.jobOf(queued.id);
    expect(finished.status).toBe('completed');
    await h.runEnqueued();
    expect(h.jobOf(queued.id)).toEqual(finished);
    expect(h.batches).toHaveLength(1);
    expect(h.repository.markRunning).toHaveBeenCalledTimes(1);
  });

  it('ends quietly when the queued job no longer exists', async () => {
    const h = importHarness({ csv: samplesCsv(2), distributed: true });
    const queued = await h.service.submit(request);
    h.jobs.delete(queued.id);
    await h.runEnqueued();
    expect(h.repository.markRunning).not.toHaveBeenCalled();
    expect(h.repository.finishJob).not.toHaveBeenCalled();
  });

  it('fails the job when the CSV changed between queueing and the worker', async () => {
    const h = importHarness({ csv: [samplesCsv(2), samplesCsv(3)], distributed: true });
    const queued = await h.service.submit(request);
    await h.runEnqueued();
    expect(h.jobOf(queued.id)).toMatchObject({ status: 'failed', message: SOURCE_CHANGED });
    expect(h.repository.markRunning).not.toHaveBeenCalled();
    expect(h.batches).toHaveLength(0);
  });

  it.each([
    ['a refused path', new PathRefusedError('not-found', 'gone'), 'Cannot read the CSV file lesions.csv: it does not exist under INGEST_ROOTS'],
    ['an unexpected error', new Error('EACCES: permission denied'), 'the import could not start'],
  ])('fails the job, without taking the lock, when the worker cannot open its files: %s', async (_what, error, message) => {
    const h = importHarness({ csv: samplesCsv(2), distributed: true });
    const queued = await h.service.submit(request);
    h.repository.guard.mockRejectedValueOnce(error);
    await h.runEnqueued();
    expect(h.jobOf(queued.id)).toMatchObject({ status: 'failed', message });
    expect(h.lockCalls).toHaveLength(1);
  });

  it('throws a transient error from opening the files so the queue retries, leaving the job queued', async () => {
    const h = importHarness({ csv: samplesCsv(2), distributed: true });
    const queued = await h.service.submit(request);
    h.repository.guard.mockRejectedValueOnce(transient());
    await expect(h.runEnqueued()).rejects.toThrow('read ECONNRESET');
    expect(h.jobOf(queued.id).status).toBe('queued');
    expect(h.repository.finishJob).not.toHaveBeenCalled();
  });

  it('requeues the job on a transient error before the last attempt, and fails it with the message on the last', async () => {
    const h = importHarness({ csv: samplesCsv(2), distributed: true });
    const queued = await h.service.submit(request);
    h.state.commitFault = { at: 1, error: transient() };
    await expect(h.runEnqueued({ attempt: 1, finalAttempt: false })).rejects.toThrow('read ECONNRESET');
    expect(h.jobOf(queued.id)).toMatchObject({ status: 'queued', message: 'retrying after a transient error' });

    await h.runEnqueued({ attempt: 2, finalAttempt: true });
    expect(h.jobOf(queued.id)).toMatchObject({ status: 'failed', message: INTERNAL_ERROR });
  });

  it('fails the job at once, with the source error as its message, when the CSV changes under the worker', async () => {
    const h = importHarness({ csv: [samplesCsv(2), samplesCsv(2), samplesCsv(3)], distributed: true });
    const queued = await h.service.submit(request);
    await expect(h.runEnqueued({ attempt: 1, finalAttempt: false })).resolves.toBeUndefined();
    expect(h.jobOf(queued.id)).toMatchObject({ status: 'failed', message: SOURCE_CHANGED });
  });
});
