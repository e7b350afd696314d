import { ALL_DATASETS, DatasetScope, scopeAllows } from '../common/dataset-scope';
import { createHash, Hash } from 'node:crypto';
import * as path from 'node:path';
import {
  BadRequestException,
  ConflictException,
  HttpException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { QueryRunner } from 'typeorm';
import { PathRefusedError } from '../common/path-guard';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { boxInside, DEEPLESION_KEYSLICE_WINDOW, ImageFormatError } from '../imaging/hu-image';
import { CsvRecord, readCsvRecords } from '../deeplesion/csv';
import { CsvFormat, rowParserFor } from '../deeplesion/read-records';
import { IngestJobEntity, IngestRowError } from '../ingest-jobs/ingest-job.entity';
import { CheckedLesion, CsvSource, IngestRepository, resolveInside } from '../ingest-jobs/ingest.repository';
import { CsvImporter, IngestJobView, IngestRequest, INTERNAL_IMPORT_ERROR, toJobView } from '../ingest-jobs/ingest.types';
import { LesionRecord, ParsedRow, RowParser, RowParserFor } from '../deeplesion/lesion-record';
import { EmbeddingService } from '../ingest-jobs/embedding.service';
import { TagPredictionService } from '../tags/prediction/tag-prediction.service';
import { numberWithinBatch } from '../deeplesion/lesion-numbering';
import { VocabularyService } from '../tags/vocabulary.service';
import { LesionsService } from '../lesions/lesions.service';
import { IngestJobPayload } from '../jobs/job-payloads';
import { JOB_QUEUE, JobContext, JobQueue } from '../jobs/job-queue.port';
import { isTransientError } from '../jobs/transient-error';

export type ProgressListener = (job: IngestJobView) => void;

/** A request whose files passed every check, its CSV open and read once (rows counted, bytes hashed). */
interface PreparedSource {
  csv: CsvSource;
  /** Real path of the images folder. */
  imagesDir: string;
  /** Real paths each image must lie under; null for an operator's own paths. */
  roots: string[] | null;
  parserFor: (header: CsvRecord) => RowParserFor;
  totalRows: number;
  fingerprint: string;
  /** What follows the CSV's bytes in the fingerprint's hash. */
  fingerprintSuffix: string;
}

/** A problem with the source found once the import runs; its message is the job's. */
class IngestSourceError extends Error {}

const SOURCE_CHANGED = 'the CSV file changed during the import; run it again';

export interface StartedIngest {
  job: IngestJobView;
  /** Settles when the job has finished (completed or failed). */
  done: Promise<IngestJobView>;
}

@Injectable()
export class IngestService implements OnModuleInit, OnApplicationBootstrap, CsvImporter {
  private readonly logger = new Logger('Ingest');

  constructor(
    private readonly repository: IngestRepository,
    private readonly embedding: EmbeddingService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly vocabulary: VocabularyService,
    private readonly tagPrediction: TagPredictionService,
    private readonly lesions: LesionsService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    this.queue.handle('ingest', (payload, context) => this.runQueued(payload, context));
  }

  async onApplicationBootstrap(): Promise<void> {
    const orphans = await this.repository.markOrphansInterrupted();
    if (orphans) this.logger.warn(`${orphans} import(s) were cut off by a previous stop; run them again to resume`);
  }

  /**
   * Validates the request, then imports in the background. Resolves once the job exists (a re-run
   * of an interrupted import of the same file resumes that job after its last committed batch).
   * Problems with the request itself (missing files, wrong header) are thrown before anything is written.
   */
  async start(request: IngestRequest, onProgress?: ProgressListener): Promise<StartedIngest> {
    return this.launch(request, await this.prepare(request), onProgress);
  }

  private async launch(request: IngestRequest, source: PreparedSource, onProgress?: ProgressListener): Promise<StartedIngest> {
    const { fingerprint, totalRows } = source;
    let jobCreated!: (job: IngestJobView) => void;
    let jobFailed!: (error: unknown) => void;
    const created = new Promise<IngestJobView>((resolve, reject) => {
      jobCreated = resolve;
      jobFailed = reject;
    });
    const done = this.repository
      .withSourceLock(fingerprint, async (runner) => {
        const resumed = await this.repository.findResumable(runner, fingerprint);
        let job: IngestJobEntity;
        if (resumed && resumed.totalRows === totalRows) {
          job = resumed;
          await this.repository.markRunning(runner, job.id);
          this.logger.log(`Resuming import ${job.id} at row ${job.cursor} of ${job.totalRows}`);
        } else {
          job = await this.repository.createJob(runner, {
            format: request.format,
            dataset: request.dataset,
            csvPath: request.csvPath,
            imagesDir: request.imagesDir,
            fingerprint,
            totalRows,
          });
        }
        jobCreated(toJobView(job));
        try {
          await this.importToEnd(runner, job, source, request, onProgress);
        } catch (error) {
          this.logger.error(`Import ${job.id} failed: ${(error as Error).message}`);
          const message = error instanceof IngestSourceError ? error.message : INTERNAL_IMPORT_ERROR;
          await this.repository.finishJob(job.id, 'failed', message, runner).catch(() => undefined);
        }
        return (await this.repository.getJob(job.id))!;
      })
      .then((result) => {
        if (result === 'locked') throw new ConflictException('An import of this file is already running');
        return toJobView(result);
      })
      .finally(() => source.csv.close());
    done.catch(jobFailed);
    const job = await created;
    return { job, done };
  }

  /** From the job's cursor to its end: rows, embeddings a crash left behind, the finished status, tags. */
  private async importToEnd(
    runner: QueryRunner,
    job: IngestJobEntity,
    source: PreparedSource,
    request: IngestRequest,
    onProgress?: ProgressListener,
  ): Promise<void> {
    await this.importRows(runner, job, source, request, onProgress);
    // Catch up embeddings a crash left behind (a batch committed just before a kill).
    if (this.config.encoder.embedOnIngest && this.embedding.isAvailable()) {
      const summary = await this.embedding.embedMissing();
      if (summary.embedded) await this.repository.addEmbedded(job.id, summary.embedded, runner);
      await this.embedding.snapshotIndex();
    }
    await this.repository.finishJob(job.id, 'completed', null, runner);
    // New lesions carry their coarse type as a tag, and new embeddings change predictions.
    await this.vocabulary.syncCoarseTypeTags().catch((error) => this.logger.warn(`Coarse-type tags not synced: ${(error as Error).message}`));
    this.tagPrediction.schedule();
  }

  /**
   * An import asked for over HTTP. In-process (no REDIS_URL) it starts here, as `start` does. With a
   * shared queue the request is checked and fingerprinted here, the job row is created (or an unfinished
   * one of the same file reused) as 'queued', and a worker runs it (`runQueued`); its status is the row's.
   */
  async submit(request: IngestRequest): Promise<IngestJobView> {
    if (!this.queue.distributed) return (await this.start(request)).job;
    const { format } = request;
    // DICOM folders go through the archive importer (src/archive), in the process that accepted them.
    if (format === 'dicom' || format === 'dicomweb')
      throw new BadRequestException(`format ${format} is imported by the DICOM archive importer, not as a CSV import`);
    await this.queue.assertRoom('ingest');
    const source = await this.prepare(request);
    let job: IngestJobEntity | 'locked';
    try {
      job = await this.repository.withSourceLock(source.fingerprint, async (runner) => {
        const resumed = await this.repository.findResumable(runner, source.fingerprint);
        if (resumed && resumed.totalRows === source.totalRows) {
          await this.repository.markQueued(runner, resumed.id);
          return (await this.repository.findJob(runner, resumed.id))!;
        }
        const { format, dataset, csvPath, imagesDir } = request;
        return this.repository.createJob(
          runner,
          { format, dataset, csvPath, imagesDir, fingerprint: source.fingerprint, totalRows: source.totalRows },
          'queued',
        );
      });
    } finally {
      await source.csv.close();
    }
    if (job === 'locked') throw new ConflictException('An import of this file is already running');
    const { csvPath, imagesDir, dataset, huWindow } = request;
    await this.queue.enqueue('ingest', {
      jobId: job.id,
      request: {
        format,
        csvPath,
        imagesDir,
        dataset,
        pathsFrom: request.pathsFrom ?? 'api',
        ...(huWindow ? { huWindow: { low: huWindow.low, high: huWindow.high } } : {}),
      },
    });
    return toJobView(job);
  }

  /**
   * A queued import, on a worker: the files are checked again (under this process's INGEST_ROOTS) and the
   * job resumes from its committed cursor. Safe to run twice: a second delivery (BullMQ hands a job on
   * when its worker stops renewing its hold, also when that worker is only slow) waits for the source
   * lock, so it either finds the job finished and leaves it, or takes over from the cursor when the
   * first runner died. It never finishes early while the first might still die: the job stays covered.
   */
  private async runQueued(payload: IngestJobPayload, context: JobContext): Promise<void> {
    let source: PreparedSource;
    try {
      source = await this.prepare(payload.request);
    } catch (error) {
      if (isTransientError(error)) throw error;
      const message = error instanceof HttpException ? error.message : 'the import could not start';
      await this.repository.finishJob(payload.jobId, 'failed', message);
      return;
    }
    await this.repository
      .withSourceLock(
        source.fingerprint,
        async (runner) => {
          const job = await this.repository.findJob(runner, payload.jobId);
          if (!job || job.status === 'completed' || job.status === 'failed') return;
          if (job.fingerprint !== source.fingerprint || job.totalRows !== source.totalRows) {
            await this.repository.finishJob(job.id, 'failed', SOURCE_CHANGED, runner);
            return;
          }
          await this.repository.markRunning(runner, job.id);
          if (job.cursor > 0) this.logger.log(`Resuming import ${job.id} at row ${job.cursor} of ${job.totalRows}`);
          try {
            await this.importToEnd(runner, job, source, payload.request);
          } catch (error) {
            this.logger.error(`Import ${job.id} failed: ${(error as Error).message}`);
            if (!context.finalAttempt && isTransientError(error)) {
              await this.repository.markQueued(runner, job.id, 'retrying after a transient error').catch(() => undefined);
              throw error;
            }
            const message = error instanceof IngestSourceError ? error.message : INTERNAL_IMPORT_ERROR;
            await this.repository.finishJob(job.id, 'failed', message, runner).catch(() => undefined);
          }
        },
        { wait: true },
      )
      .finally(() => source.csv.close());
  }

  /** Runs an import to the end (CLI, start-up sample). */
  async run(request: IngestRequest, onProgress?: ProgressListener): Promise<IngestJobView> {
    const { done } = await this.start(request, onProgress);
    return done;
  }

  /** Like run(), but returns the earlier job when this exact source was already imported completely. */
  async runUnlessDone(request: IngestRequest): Promise<{ job: IngestJobView; alreadyDone: boolean }> {
    const source = await this.prepare(request);
    const previous = await this.repository.findCompleted(source.fingerprint).catch(async (error) => {
      await source.csv.close();
      throw error;
    });
    if (previous) {
      await source.csv.close();
      return { job: toJobView(previous), alreadyDone: true };
    }
    const { done } = await this.launch(request, source);
    return { job: await done, alreadyDone: false };
  }

  /** A job of another dataset than the scope's is answered like a missing one. */
  async getJob(id: string, scope: DatasetScope = ALL_DATASETS): Promise<IngestJobView> {
    const job = await this.repository.getJob(id);
    if (!job || !scopeAllows(scope, job.dataset)) throw new NotFoundException(`No import job ${id}`);
    return toJobView(job);
  }

  async listJobs(scope: DatasetScope = ALL_DATASETS, limit = 50): Promise<IngestJobView[]> {
    return (await this.repository.listJobs(limit)).filter((job) => scopeAllows(scope, job.dataset)).map(toJobView);
  }

  /**
   * Checks the request's paths (under INGEST_ROOTS for the API; symlinks followed; a regular file and a
   * folder; the CSV within its size bound) and reads the CSV once, as a stream: header checked, rows
   * counted, bytes hashed into the fingerprint. Nothing is written.
   */
  private async prepare(request: IngestRequest): Promise<PreparedSource> {
    const { roots: configuredRoots, maxCsvBytes, maxCsvLineLength } = this.config.ingest;
    const confined = (request.pathsFrom ?? 'api') === 'api';
    const roots = confined ? await this.repository.realRoots(configuredRoots) : null;
    const csvName = path.basename(request.csvPath);
    const refused = (what: string) => (error: unknown) => {
      throw error instanceof PathRefusedError ? new BadRequestException(`${what}: ${this.describeRefusal(error, confined, 'INGEST_MAX_CSV_BYTES')}`) : error;
    };
    const csvFile = await this.repository
      .guard(request.csvPath, 'file', { roots, maxBytes: maxCsvBytes })
      .catch(refused(`Cannot read the CSV file ${csvName}`));
    const imagesDir = await this.repository
      .guard(request.imagesDir, 'directory', { roots })
      .catch(refused(`Cannot read the images folder ${path.basename(request.imagesDir)}`));
    const window = request.huWindow ?? DEEPLESION_KEYSLICE_WINDOW;
    if (!(window.high > window.low)) throw new BadRequestException('huWindow must have high > low');
    // DICOM formats never reach here (the archive importer takes them).
    const parserFor = (header: CsvRecord): RowParserFor => rowParserFor(request.format as CsvFormat, header, window);
    const fingerprintSuffix = JSON.stringify([
      request.format,
      request.dataset,
      path.resolve(request.imagesDir),
      request.format === 'deeplesion' ? null : window,
    ]);

    const csv = await this.repository.openCsv(csvFile, maxCsvBytes).catch(refused(`Cannot read the CSV file ${csvName}`));
    try {
      const hash = createHash('sha256');
      let header: RowParserFor | null = null;
      let totalRows = 0;
      for await (const record of readCsvRecords(hashed(csv.chunks(), hash), maxCsvLineLength)) {
        if (header) totalRows++;
        else {
          header = parserFor(record);
          if (header.headerError !== undefined) throw new BadRequestException(`${csvName}: ${header.headerError}`);
        }
      }
      if (!header) throw new BadRequestException(`${csvName}: the CSV is empty`);
      const fingerprint = hash.update(fingerprintSuffix).digest('hex');
      return { csv, imagesDir: imagesDir.path, roots, parserFor, totalRows, fingerprint, fingerprintSuffix };
    } catch (error) {
      await csv.close();
      if (error instanceof PathRefusedError) refused(`Cannot read the CSV file ${csvName}`)(error);
      throw error;
    }
  }

  private describeRefusal(error: PathRefusedError, confined: boolean, limit: string): string {
    // One answer for "outside the roots" and "does not exist": it never tells what exists elsewhere.
    if (error.reason === 'not-found') return confined ? 'it does not exist under INGEST_ROOTS' : 'it does not exist or cannot be read';
    return error.reason === 'too-large' ? `${error.message} (${limit})` : error.message;
  }

  /**
   * Reads the CSV again from its start, parsing and importing the rows after the job's cursor batch by
   * batch: memory holds one batch, whatever the file's length (the DeepLesion numbering of lesions per key
   * slice keeps its running counts in PostgreSQL). The bytes must hash to the same fingerprint as when the
   * job began.
   */
  private async importRows(
    runner: QueryRunner,
    job: IngestJobEntity,
    source: PreparedSource,
    request: IngestRequest,
    onProgress?: ProgressListener,
  ): Promise<void> {
    const { batchSize, maxCsvLineLength } = this.config.ingest;
    const view = { ...job };
    const hash = createHash('sha256');
    let parse: RowParser | null = null;
    let index = -1;
    let batch: ParsedRow[] = [];
    try {
      for await (const record of readCsvRecords(hashed(source.csv.chunks(), hash), maxCsvLineLength)) {
        if (!parse) {
          const header = source.parserFor(record);
          if (header.headerError !== undefined) throw new IngestSourceError(SOURCE_CHANGED);
          parse = header.parse;
          continue;
        }
        index++;
        if (index >= source.totalRows) throw new IngestSourceError(SOURCE_CHANGED);
        // Rows before the cursor are committed, with their key slices' counts: they are only hashed.
        if (index < job.cursor) continue;
        batch.push(parse(record, index));
        if (batch.length === batchSize) {
          await this.importBatch(runner, view, index + 1 - batch.length, batch, source, request, onProgress);
          batch = [];
        }
      }
    } catch (error) {
      if (error instanceof PathRefusedError)
        throw new IngestSourceError(`the CSV file cannot be read any more: ${this.describeRefusal(error, source.roots !== null, 'INGEST_MAX_CSV_BYTES')}`);
      throw error;
    }
    if (index + 1 !== source.totalRows || hash.update(source.fingerprintSuffix).digest('hex') !== source.fingerprint)
      throw new IngestSourceError(SOURCE_CHANGED);
    if (batch.length) await this.importBatch(runner, view, index + 1 - batch.length, batch, source, request, onProgress);
  }

  /** One batch: image checks, one transaction (rows and cursor), then its embeddings. */
  private async importBatch(
    runner: QueryRunner,
    view: IngestJobEntity,
    start: number,
    batch: ParsedRow[],
    source: PreparedSource,
    request: IngestRequest,
    onProgress?: ProgressListener,
  ): Promise<void> {
    const { maxStoredErrors, batchDelayMs } = this.config.ingest;
    const errors: IngestRowError[] = [];
    const parsed: LesionRecord[] = [];
    for (const row of batch) {
      if (row.ok) parsed.push(row.record);
      else errors.push({ line: row.line, message: row.message });
    }
    // Every parsed row takes its number on its key slice, also one whose image then fails its checks.
    const { numbered: valid, counts: keySliceCounts } = numberWithinBatch(parsed);
    const checked = await this.checkImages(valid, source, errors);
    errors.sort((a, b) => a.line - b.line);
    const cursor = start + batch.length;
    const progress = { cursor, imported: checked.length, skipped: errors.length, errors, keySliceCounts };
    const ids = await this.repository.commitBatch(runner, request.dataset, view.id, checked, progress, maxStoredErrors);
    this.lesions.forgetViews(ids);
    // Embeddings follow their batch; one that fails or is cut off is found missing and redone by `npm run embed`.
    if (ids.length && this.config.encoder.embedOnIngest && this.embedding.isAvailable()) {
      const summary = await this.embedding.embedMissing({ onlyIds: ids });
      await this.repository.addEmbedded(view.id, summary.embedded, runner);
      view.embeddedRows += summary.embedded;
    }
    view.cursor = cursor;
    view.importedRows += checked.length;
    view.skippedRows += errors.length;
    if (view.errors.length < maxStoredErrors) view.errors = [...view.errors, ...errors].slice(0, maxStoredErrors);
    view.updatedAt = new Date();
    onProgress?.(toJobView(view));
    if (batchDelayMs) await new Promise((resolve) => setTimeout(resolve, batchDelayMs));
  }

  /** Each image must exist, decode as the declared kind, match the declared size and contain the box. */
  private async checkImages(records: LesionRecord[], source: PreparedSource, errors: IngestRowError[]): Promise<CheckedLesion[]> {
    const checked: (CheckedLesion | null)[] = new Array(records.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < records.length) {
        const index = next++;
        const record = records[index];
        const result = await this.checkImage(record, source);
        if (typeof result === 'string') errors.push({ line: record.line, message: result });
        else checked[index] = result;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.ingest.imageCheckConcurrency, records.length) }, worker));
    return checked.filter((c): c is CheckedLesion => c !== null);
  }

  private async checkImage(record: LesionRecord, source: PreparedSource): Promise<CheckedLesion | string> {
    let header;
    let imagePath;
    try {
      ({ header, path: imagePath } = await this.repository.readImageHeader(resolveInside(source.imagesDir, record.imageRelPath), {
        roots: source.roots,
        maxBytes: this.config.ingest.maxImageBytes,
      }));
    } catch (error) {
      if (error instanceof PathRefusedError) {
        if (error.reason === 'not-found')
          return source.roots ? `image not found under INGEST_ROOTS: ${record.imageRelPath}` : `image not found: ${record.imageRelPath}`;
        return `image ${record.imageRelPath}: ${this.describeRefusal(error, source.roots !== null, 'INGEST_MAX_IMAGE_BYTES')}`;
      }
      if (error instanceof ImageFormatError) return `image ${record.imageRelPath}: ${error.message}`;
      return `image ${record.imageRelPath}: cannot be read`;
    }
    if (record.imageEncoding === 'png16' && !(header.format === 'png' && header.bitDepth === 16 && header.channels === 1)) {
      return `image ${record.imageRelPath}: expected a 16-bit greyscale PNG, found ${header.format} ${header.bitDepth}-bit with ${header.channels} channel(s)`;
    }
    if (record.imageEncoding === 'gray8' && header.bitDepth !== 8) {
      return `image ${record.imageRelPath}: expected an 8-bit image, found ${header.bitDepth}-bit`;
    }
    if (record.imageSize && (record.imageSize.width !== header.width || record.imageSize.height !== header.height)) {
      return `image ${record.imageRelPath}: is ${header.width}x${header.height}, the CSV says ${record.imageSize.width}x${record.imageSize.height}`;
    }
    if (!boxInside(record.box, header.width, header.height)) {
      return `box lies outside the ${header.width}x${header.height} image ${record.imageRelPath}`;
    }
    return {
      record,
      imagePath,
      slicesDir: record.seriesRelDir ? resolveInside(source.imagesDir, record.seriesRelDir) : null,
      imageWidth: header.width,
      imageHeight: header.height,
    };
  }
}

/** Passes the chunks through, feeding each to the hash on the way. */
async function* hashed(chunks: AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    hash.update(chunk);
    yield chunk;
  }
}
