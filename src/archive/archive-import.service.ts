import { createHmac } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { BadRequestException, ConflictException, HttpException, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { QueryRunner } from 'typeorm';
import { PathRefusedError } from '../common/path-guard';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { parseCsv } from '../deeplesion/csv';
import { EmbeddingService } from '../ingest-jobs/embedding.service';
import { IngestFormat, IngestJobEntity, IngestRowError } from '../ingest-jobs/ingest-job.entity';
import { IngestRepository } from '../ingest-jobs/ingest.repository';
import { IngestJobView, INTERNAL_IMPORT_ERROR, toJobView } from '../ingest-jobs/ingest.types';
import { LesionsService } from '../lesions/lesions.service';
import { EncoderService } from '../ml/encoder.service';
import { manifestModalities } from '../ml/encoder-manifest';
import { validateDetectorManifest } from '../ml/detector-manifest';
import { VocabularyService } from '../tags/vocabulary.service';
import { DicomImportJobPayload } from '../jobs/job-payloads';
import { JOB_QUEUE, JobContext, JobQueue } from '../jobs/job-queue.port';
import { isTransientError } from '../jobs/transient-error';
import { ArchiveAnnotation } from './annotation-geometry';
import { annotationsFromCsv } from './annotations-csv';
import { ArchivePlan, planArchive, SeriesPlan, WalkedImage } from './archive-plan';
import { ArchiveRepository, TooManyFilesError, WalkedFile } from './archive.repository';
import { ArchiveFileError, readArchiveObject } from './dicom-header';
import { fileOrdinals, withoutPaths } from './error-paths';
import { slicesToWrite } from './series-geometry';
import { SliceWriterPool } from './slice-writer.repository';
import { SliceWriteJob } from './slice-writer';
import { measurementsFromSr } from './sr-measurements';

export interface DicomImportRequest {
  dir: string;
  /** Optional annotation CSV (sop_instance_uid + box or RECIST end points). */
  annotations?: string;
  dataset: string;
  /** 'api': paths must lie under INGEST_ROOTS; 'operator': the CLI's own paths. */
  pathsFrom: 'api' | 'operator';
}

export type ArchiveProgressListener = (job: IngestJobView) => void;

interface PreparedArchive {
  root: string;
  files: WalkedFile[];
  walkProblems: IngestRowError[];
  csvBytes: Buffer | null;
  secret: string;
  fingerprint: string;
}

/** A problem with the source found once the import runs; its message is the job's. */
export class ArchiveSourceError extends Error {}

/** An import whose files are fetched by the job itself (a PACS import): see ArchiveImportService.startFetched. */
export interface FetchedImport {
  format: IngestFormat;
  dataset: string;
  /** Keyed hash of the request: the job's identity (a re-run of an interrupted one resumes it). */
  fingerprint: string;
  /** What the job view names as its source (never a path or an identifying value). */
  label: string;
  studiesFound: number;
  /** The folder the fetched folders lie in. */
  root: string;
  /** Fetches (or finds already fetched) the files; the folders to import, relative to `root`. */
  fetch(jobId: string, retrievedSoFar: (studies: number) => Promise<void>): Promise<string[]>;
  /** After the import completed (the cache's clean-up). */
  completed(): Promise<void>;
}

/** The annotations CSV is read whole: at most this (or INGEST_MAX_CSV_BYTES when smaller), ~1 M rows. */
const MAX_ANNOTATIONS_CSV_BYTES = 64 * 1024 ** 2;

/** Headers are read in the event loop (small, bounded); yield to other work this often. */
const YIELD_EVERY_FILES = 64;

/**
 * Imports a folder of DICOM files (any nesting) as studies, series and lesions, de-identified on the way
 * in (src/deid): only keyed-hash UIDs, shifted dates, sex, age and technical attributes reach the
 * database, and no path into the archive is stored. Annotated series get their key slices and the
 * neighbours the models read written as DeepLesion 16-bit PNGs under ARCHIVE_DIR, so every other
 * feature reads them as it reads DeepLesion. One transaction per series carries its rows and the job's
 * cursor: a kill at any point loses nothing, and a re-run of the same folder resumes after the last series.
 */
@Injectable()
export class ArchiveImportService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ArchiveImport');
  private readonly writer: SliceWriterPool;

  constructor(
    private readonly repository: ArchiveRepository,
    private readonly jobs: IngestRepository,
    private readonly embedding: EmbeddingService,
    private readonly encoder: EncoderService,
    private readonly lesions: LesionsService,
    private readonly vocabulary: VocabularyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {
    this.writer = new SliceWriterPool(config.archive.decodeWorkers);
  }

  onModuleInit(): void {
    this.queue.handle('dicom-import', (payload, context) => this.runQueued(payload, context));
  }

  async onModuleDestroy(): Promise<void> {
    await this.writer.close();
  }

  /** Checks the request and walks the folder, then imports in the background; resolves once the job exists. */
  async start(request: DicomImportRequest, onProgress?: ArchiveProgressListener): Promise<{ job: IngestJobView; done: Promise<IngestJobView> }> {
    const source = await this.prepare(request);
    // No path is stored: folder names in an archive often carry patients' names.
    return this.runJob(request.dataset, source.fingerprint, { format: 'dicom', label: 'DICOM folder' }, async () => source, request, onProgress);
  }

  /**
   * A DICOM folder import asked for over HTTP. In-process (no REDIS_URL) it starts here, as `start` does.
   * With a shared queue the request is checked and fingerprinted here, the job row created (or an
   * unfinished one of the same folder reused) as 'queued', and a worker runs it (`runQueued`).
   */
  async submit(request: DicomImportRequest): Promise<{ job: IngestJobView }> {
    if (!this.queue.distributed) return this.start(request);
    await this.queue.assertRoom('dicom-import');
    const source = await this.prepare(request);
    const job = await this.jobs.withSourceLock(source.fingerprint, async (runner) => {
      const resumed = await this.jobs.findResumable(runner, source.fingerprint);
      if (resumed) {
        await this.jobs.markQueued(runner, resumed.id);
        return (await this.jobs.findJob(runner, resumed.id))!;
      }
      return this.jobs.createJob(
        runner,
        { format: 'dicom', dataset: request.dataset, csvPath: 'DICOM folder', imagesDir: '', fingerprint: source.fingerprint, totalRows: 0 },
        'queued',
      );
    });
    if (job === 'locked') throw new ConflictException('An import of this folder is already running');
    const { dir, annotations, dataset, pathsFrom } = request;
    await this.queue.enqueue('dicom-import', { jobId: job.id, request: { dir, dataset, pathsFrom, ...(annotations ? { annotations } : {}) } });
    return { job: toJobView(job) };
  }

  /**
   * A queued DICOM import, on a worker: the folder is checked and walked again (under this process's
   * INGEST_ROOTS) and the job resumes after its last committed series. Safe to run twice, as a queued CSV
   * import is: a second delivery waits for the source lock, then finds the job finished or takes it over.
   */
  private async runQueued(payload: DicomImportJobPayload, context: JobContext): Promise<void> {
    let source: PreparedArchive;
    try {
      source = await this.prepare(payload.request);
    } catch (error) {
      if (isTransientError(error)) throw error;
      await this.jobs.finishJob(payload.jobId, 'failed', error instanceof HttpException ? error.message : 'the import could not start');
      return;
    }
    await this.jobs.withSourceLock(
      source.fingerprint,
      async (runner) => {
        const job = await this.jobs.findJob(runner, payload.jobId);
        if (!job || job.status === 'completed' || job.status === 'failed') return;
        if (job.fingerprint !== source.fingerprint) {
          await this.jobs.finishJob(job.id, 'failed', 'the DICOM folder changed since the import was queued; run it again', runner);
          return;
        }
        await this.jobs.markRunning(runner, job.id);
        if (job.cursor > 0) this.logger.log(`Resuming DICOM import ${job.id} after series ${job.cursor}`);
        await this.importToEnd(runner, job, source, payload.request, {}, undefined, undefined, context);
      },
      { wait: true },
    );
  }

  /** The de-identification secret (DEID_SECRET, or the embedded database's own), or 400 saying it is missing. */
  async deidSecret(): Promise<string> {
    const secret = await this.repository.secret(this.config.deidSecret, this.config.databaseUrl === null, this.config.dataDir);
    if (!secret) throw new BadRequestException('DICOM imports need DEID_SECRET set when DATABASE_URL is set (the key of pseudonyms, date shifts and UIDs)');
    return secret;
  }

  /**
   * An import whose files are fetched first (a PACS import): one job, identified by `fetched.fingerprint`,
   * whose first step fills folders under `fetched.root` (resumable: the fetch skips what it already has);
   * the folders are then walked and imported as a DICOM folder is, and `fetched.completed` runs once the
   * import has completed.
   */
  async startFetched(fetched: FetchedImport, onProgress?: ArchiveProgressListener): Promise<{ job: IngestJobView; done: Promise<IngestJobView> }> {
    const secret = await this.deidSecret();
    const request: DicomImportRequest = { dir: fetched.root, dataset: fetched.dataset, pathsFrom: 'operator' };
    const load = async (job: IngestJobEntity, runner: QueryRunner): Promise<PreparedArchive> => {
      const folders = await fetched.fetch(job.id, async (retrieved) => {
        await this.repository.setStudies(runner, job.id, { retrieved });
        onProgress?.(toJobView({ ...job, studiesRetrieved: retrieved, updatedAt: new Date() }));
      });
      const { maxFiles, maxFileBytes, maxDepth } = this.config.archive;
      const files: WalkedFile[] = [];
      const walkProblems: IngestRowError[] = [];
      for (const folder of folders) {
        const walked = await this.repository
          .walk(path.join(fetched.root, folder), { maxFiles: maxFiles - files.length, maxFileBytes, maxDepth })
          .catch((error) => {
            if (error instanceof TooManyFilesError) throw new ArchiveSourceError(`the retrieved studies have ${error.message}`);
            throw error;
          });
        walked.files.forEach((f) => files.push({ ...f, relPath: `${folder}/${f.relPath}` }));
        walked.skipped.forEach((p) => walkProblems.push({ ...p, file: p.file ? `${folder}/${p.file}` : folder }));
      }
      return { root: fetched.root, files, walkProblems, csvBytes: null, secret, fingerprint: fetched.fingerprint };
    };
    const onDone = async () => fetched.completed();
    return this.runJob(
      fetched.dataset,
      fetched.fingerprint,
      { format: fetched.format, label: fetched.label, studiesFound: fetched.studiesFound },
      load,
      request,
      onProgress,
      onDone,
    );
  }

  private async runJob(
    dataset: string,
    fingerprint: string,
    describe: { format: IngestFormat; label: string; studiesFound?: number },
    load: (job: IngestJobEntity, runner: QueryRunner) => Promise<PreparedArchive>,
    request: DicomImportRequest,
    onProgress?: ArchiveProgressListener,
    onCompleted?: () => Promise<void>,
  ): Promise<{ job: IngestJobView; done: Promise<IngestJobView> }> {
    let created!: (job: IngestJobView) => void;
    let failed!: (error: unknown) => void;
    const jobCreated = new Promise<IngestJobView>((resolve, reject) => {
      created = resolve;
      failed = reject;
    });
    const done = this.jobs
      .withSourceLock(fingerprint, async (runner) => {
        let job = await this.jobs.findResumable(runner, fingerprint);
        if (job) {
          await this.jobs.markRunning(runner, job.id);
          this.logger.log(`Resuming DICOM import ${job.id} after series ${job.cursor}`);
        } else {
          job = await this.jobs.createJob(runner, { format: describe.format, dataset, csvPath: describe.label, imagesDir: '', fingerprint, totalRows: 0 });
          if (describe.studiesFound !== undefined) {
            await this.repository.setStudies(runner, job.id, { found: describe.studiesFound });
            job.studiesFound = describe.studiesFound;
          }
        }
        created(toJobView(job));
        const loaded = job;
        await this.importToEnd(runner, job, () => load(loaded, runner), request, describe, onProgress, onCompleted);
        return (await this.jobs.getJob(job.id))!;
      })
      .then((result) => {
        if (result === 'locked') throw new ConflictException(`An import of this ${describe.format === 'dicom' ? 'folder' : 'request'} is already running`);
        return toJobView(result);
      });
    done.catch(failed);
    return { job: await jobCreated, done };
  }

  /**
   * From the job's cursor to its end: series, embeddings a crash left behind, tags, the finished status.
   * Fails the job on an error; on a queued try that may be retried, a transient error puts it back to
   * 'queued' and is thrown for the queue to retry.
   */
  private async importToEnd(
    runner: QueryRunner,
    job: IngestJobEntity,
    source: PreparedArchive | (() => Promise<PreparedArchive>),
    request: DicomImportRequest,
    describe: { studiesFound?: number },
    onProgress?: ArchiveProgressListener,
    onCompleted?: () => Promise<void>,
    context?: JobContext,
  ): Promise<void> {
    try {
      await this.importArchive(runner, job, typeof source === 'function' ? await source() : source, request, onProgress);
      if (this.config.encoder.embedOnIngest && this.embedding.isAvailable()) {
        // Catch up embeddings a crash (or an encoder still loading) left behind; other modalities stay out.
        const summary = await this.embedding.embedMissing();
        if (summary.embedded) await this.jobs.addEmbedded(job.id, summary.embedded, runner);
        await this.embedding.snapshotIndex();
      }
      await this.vocabulary.syncCoarseTypeTags().catch((error) => this.logger.warn(`Coarse-type tags not synced: ${(error as Error).message}`));
      if (describe.studiesFound !== undefined) await this.repository.setStudies(runner, job.id, { imported: true });
      // Before the job says completed, so whoever sees it completed sees the clean-up done.
      await onCompleted?.().catch((error) => this.logger.warn(`After the import ${job.id}: ${(error as Error).message}`));
      await this.jobs.finishJob(job.id, 'completed', null, runner);
    } catch (error) {
      this.logger.error(`DICOM import ${job.id} failed: ${(error as Error).message}`);
      if (context && !context.finalAttempt && isTransientError(error)) {
        await this.jobs.markQueued(runner, job.id, 'retrying after a transient error').catch(() => undefined);
        throw error;
      }
      const message = error instanceof ArchiveSourceError ? error.message : INTERNAL_IMPORT_ERROR;
      await this.jobs.finishJob(job.id, 'failed', message, runner).catch(() => undefined);
    }
  }

  async run(request: DicomImportRequest, onProgress?: ArchiveProgressListener): Promise<IngestJobView> {
    return (await this.start(request, onProgress)).done;
  }

  /** Paths checked, the secret found, the folder walked (names and sizes only) and fingerprinted. */
  private async prepare(request: DicomImportRequest): Promise<PreparedArchive> {
    const embedded = this.config.databaseUrl === null;
    const secret = await this.repository.secret(this.config.deidSecret, embedded, this.config.dataDir);
    if (!secret) throw new BadRequestException('DICOM imports need DEID_SECRET set when DATABASE_URL is set (the key of pseudonyms, date shifts and UIDs)');
    const confined = request.pathsFrom === 'api';
    const roots = confined ? await this.jobs.realRoots(this.config.ingest.roots) : null;
    const refused = (what: string) => (error: unknown) => {
      if (!(error instanceof PathRefusedError)) throw error;
      const why = error.reason === 'not-found' ? (confined ? 'it does not exist under INGEST_ROOTS' : 'it does not exist or cannot be read') : error.message;
      throw new BadRequestException(`${what}: ${why}`);
    };
    const root = await this.jobs.guard(request.dir, 'directory', { roots }).catch(refused('Cannot read the DICOM folder'));
    let csvBytes: Buffer | null = null;
    if (request.annotations) {
      const maxBytes = Math.min(this.config.ingest.maxCsvBytes, MAX_ANNOTATIONS_CSV_BYTES);
      const csv = await this.jobs.guard(request.annotations, 'file', { roots, maxBytes }).catch(refused('Cannot read the annotations file'));
      csvBytes = await fs.readFile(csv.path);
    }
    const { maxFiles, maxFileBytes, maxDepth } = this.config.archive;
    const walked = await this.repository.walk(root.path, { maxFiles, maxFileBytes, maxDepth }).catch((error) => {
      if (error instanceof TooManyFilesError) throw new BadRequestException(`The DICOM folder has ${error.message}`);
      throw error;
    });
    // Keyed: the fingerprint of a folder says nothing about its file names to whoever lacks the secret.
    const hash = createHmac('sha256', secret).update(JSON.stringify(['dicom', request.dataset]));
    for (const f of walked.files) hash.update(`${f.relPath}\0${f.size}\0${Math.round(f.mtimeMs)}\n`);
    if (csvBytes) hash.update('\0annotations\0').update(csvBytes);
    return { root: root.path, files: walked.files, walkProblems: walked.skipped, csvBytes, secret, fingerprint: hash.digest('hex') };
  }

  private async importArchive(
    runner: QueryRunner,
    job: IngestJobEntity,
    source: PreparedArchive,
    request: DicomImportRequest,
    onProgress?: ArchiveProgressListener,
  ): Promise<void> {
    const { maxStoredErrors } = this.config.ingest;
    const view = { ...job };
    const report = (next: Partial<IngestJobEntity>) => {
      Object.assign(view, next, { updatedAt: new Date() });
      onProgress?.(toJobView(view));
    };
    const read = await this.readAndPlan(source, (filesWalked) => report({ filesWalked }));
    const plan = read.plan;
    // Folder and file names can identify patients: errors keep a keyed reference and the file's position instead.
    const ordinals = fileOrdinals(source.files);
    const problems = withoutPaths(read.problems, source.secret, ordinals);
    if (job.format === 'dicomweb' && plan.series.length === 0) throw new ArchiveSourceError('the retrieved studies hold no image series to import');
    await this.repository.setWalked(runner, job.id, source.files.length, plan.series.length);
    // The walk's and the headers' problems are the same on every run: stored once, by the run that starts the job.
    if (job.cursor === 0 && job.skippedRows === 0) await this.repository.addProblems(runner, job.id, problems, maxStoredErrors);
    const stored = job.cursor === 0 && job.skippedRows === 0 ? problems.length : 0;
    report({
      filesWalked: source.files.length,
      totalRows: plan.series.length,
      skippedRows: view.skippedRows + stored,
      errors: [...view.errors, ...problems].slice(0, maxStoredErrors),
    });
    const modalities = this.encoder.status().state === 'ready' ? manifestModalities(this.encoder.loaded.manifest) : ['CT'];
    const reachMm = await this.neighbourReachMm();
    for (let index = job.cursor; index < plan.series.length; index++) {
      const series = plan.series[index];
      const errors: IngestRowError[] = [];
      const { slicesDir, lesions } = await this.writeSlices(source, request.dataset, series, reachMm, errors);
      const { lesionIds } = await this.repository.commitSeries(runner, {
        dataset: request.dataset,
        jobId: job.id,
        plan: series,
        slicesDir,
        lesions,
        cursor: index + 1,
        errors: withoutPaths(errors, source.secret, ordinals),
        maxStoredErrors,
      });
      this.lesions.forgetViews(lesionIds);
      let embedded = 0;
      if (
        lesionIds.length &&
        this.config.encoder.embedOnIngest &&
        this.embedding.isAvailable() &&
        series.modality !== null &&
        modalities.includes(series.modality)
      ) {
        embedded = (await this.embedding.embedMissing({ onlyIds: lesionIds })).embedded;
        await this.jobs.addEmbedded(job.id, embedded, runner);
      }
      report({
        cursor: index + 1,
        importedRows: view.importedRows + lesionIds.length,
        skippedRows: view.skippedRows + errors.length,
        embeddedRows: view.embeddedRows + embedded,
      });
      if (this.config.ingest.batchDelayMs) await new Promise((resolve) => setTimeout(resolve, this.config.ingest.batchDelayMs));
    }
  }

  /** Reads every header (de-identified at once), the SR/GSPS marks and the CSV, and plans the series. */
  private async readAndPlan(source: PreparedArchive, onFiles: (n: number) => void): Promise<{ plan: ArchivePlan; problems: IngestRowError[] }> {
    const problems: IngestRowError[] = [...source.walkProblems];
    const images: WalkedImage[] = [];
    const marks: { annotation: ArchiveAnnotation; file: string }[] = [];
    const limits = { maxFrames: this.config.archive.maxSeriesSlices };
    const seen = new Set<string>();
    for (let i = 0; i < source.files.length; i++) {
      const file = source.files[i];
      if (i % YIELD_EVERY_FILES === YIELD_EVERY_FILES - 1) {
        onFiles(i + 1);
        await new Promise((resolve) => setImmediate(resolve));
      }
      try {
        const bytes = await this.repository.readFile(file, this.config.archive.maxFileBytes);
        const object = readArchiveObject(bytes, source.secret, limits);
        if (object.kind === 'skip') {
          problems.push({ line: 0, file: file.relPath, message: `skipped: ${object.reason}` });
          continue;
        }
        const sop = object.deid.values.SOPInstanceUID!;
        if (seen.has(sop)) {
          problems.push({ line: 0, file: file.relPath, message: 'skipped: the same SOP Instance UID as another file' });
          continue;
        }
        seen.add(sop);
        if (object.kind === 'image') images.push({ relPath: file.relPath, object });
        else if (object.kind === 'sr') {
          const found = measurementsFromSr(object.content, sop);
          found.annotations.forEach((annotation) => marks.push({ annotation, file: file.relPath }));
          found.problems.forEach((message) => problems.push({ line: 0, file: file.relPath, message }));
        } else {
          object.annotations.forEach((annotation) => marks.push({ annotation, file: file.relPath }));
          object.problems.forEach((message) => problems.push({ line: 0, file: file.relPath, message }));
        }
      } catch (error) {
        const message = error instanceof ArchiveFileError ? error.message : 'cannot be read';
        problems.push({ line: 0, file: file.relPath, message });
      }
    }
    if (source.csvBytes) {
      const csv = annotationsFromCsv(parseCsv(source.csvBytes.toString('utf8')), source.secret);
      if ('headerError' in csv) throw new ArchiveSourceError(csv.headerError);
      csv.annotations.forEach((annotation) => marks.push({ annotation, file: `annotations line ${annotation.ordinal}` }));
      csv.problems.forEach((p) => problems.push({ line: p.line, file: 'annotations', message: p.message }));
    }
    const plan = planArchive(images, marks, this.config.archive.maxSeriesSlices);
    for (const p of plan.problems) problems.push({ line: 0, file: p.file ?? undefined, message: p.message });
    return { plan, problems };
  }

  /**
   * Writes the key slices and their neighbours as PNGs (off the event loop). A lesion whose key slice
   * fails to decode is reported and left out; a missing neighbour only means the key slice stands in.
   */
  private async writeSlices(
    source: PreparedArchive,
    dataset: string,
    series: SeriesPlan,
    reachMm: number,
    errors: IngestRowError[],
  ): Promise<{ slicesDir: string | null; lesions: SeriesPlan['lesions'] }> {
    if (!series.lesions.length) return { slicesDir: null, lesions: [] };
    const slicesDir = path.join(this.config.archive.dir, dataset, series.studyUid, series.seriesUid);
    const keys = [...new Set(series.lesions.map((l) => l.sliceIndex))];
    const indexes = slicesToWrite(keys, series.slices.length, series.spacing.z, reachMm, this.config.archive.neighbourSlices);
    const jobs: SliceWriteJob[] = indexes.map((i) => {
      const slice = series.slices[i];
      return {
        source: path.join(source.root, ...slice.relPath.split('/')),
        frame: slice.frame,
        target: path.join(slicesDir, `${String(i).padStart(3, '0')}.png`),
        rows: slice.rows,
        columns: slice.columns,
        maxBytes: this.config.archive.maxFileBytes,
        maxPixels: this.config.uploads.maxImagePixels,
      };
    });
    const results = await this.writer.write(jobs);
    const failed = new Set<number>();
    results.forEach((r, j) => {
      if (r.ok) return;
      failed.add(indexes[j]);
      if (keys.includes(indexes[j]))
        errors.push({ line: 0, file: series.slices[indexes[j]].relPath, message: `annotated image not imported: ${stripPaths(r.message)}` });
    });
    return { slicesDir, lesions: series.lesions.filter((l) => !failed.has(l.sliceIndex)) };
  }

  /** The farthest neighbour the encoder or the detector reads, in mm (their manifests' slice offsets). */
  private async neighbourReachMm(): Promise<number> {
    const offsets: number[] = this.encoder.status().state === 'ready' ? [...this.encoder.loaded.manifest.input.sliceOffsetsMm] : [];
    try {
      const raw = await fs.readFile(path.join(this.config.encoder.modelsDir, this.config.detector.model, 'manifest.json'), 'utf8');
      offsets.push(...validateDetectorManifest(JSON.parse(raw)).input.sliceOffsetsMm);
    } catch {
      // No detector manifest (yet): the encoder's offsets decide.
    }
    return Math.max(0, ...offsets.map(Math.abs));
  }
}

/** Error texts from decoders may name the file; answers never carry server paths. */
function stripPaths(message: string): string {
  return message.replace(/(\/[^\s'"]+)+/g, '(file)');
}
