import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { boxInside, DEEPLESION_KEYSLICE_WINDOW, ImageFormatError } from '../imaging/hu-image';
import { parseCsv } from './csv';
import { parseDeepLesionCsv } from './deeplesion-csv.parser';
import { IngestJobEntity, IngestRowError } from './ingest-job.entity';
import { CheckedLesion, IngestRepository, resolveInside } from './ingest.repository';
import { IngestJobView, IngestRequest, toJobView } from './ingest.types';
import { LesionRecord, ParsedRow } from './lesion-record';
import { EmbeddingService } from './embedding.service';
import { parseSamplesCsv } from './samples-csv.parser';
import { TagPredictionService } from '../tags/tag-prediction.service';
import { VocabularyService } from '../tags/vocabulary.service';
import { LesionsService } from '../lesions/lesions.service';

export type ProgressListener = (job: IngestJobView) => void;

export interface StartedIngest {
  job: IngestJobView;
  /** Settles when the job has finished (completed or failed). */
  done: Promise<IngestJobView>;
}

@Injectable()
export class IngestService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Ingest');

  constructor(
    private readonly repository: IngestRepository,
    private readonly embedding: EmbeddingService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly vocabulary: VocabularyService,
    private readonly tagPrediction: TagPredictionService,
    private readonly lesions: LesionsService,
  ) {}

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
    const { rows, fingerprint } = await this.prepare(request);
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
        if (resumed && resumed.totalRows === rows.length) {
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
            totalRows: rows.length,
          });
        }
        jobCreated(toJobView(job));
        try {
          await this.importRows(runner, job, rows, request, onProgress);
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
        } catch (error) {
          this.logger.error(`Import ${job.id} failed: ${(error as Error).message}`);
          await this.repository.finishJob(job.id, 'failed', 'the import stopped on an internal error; run it again to resume', runner).catch(() => undefined);
        }
        return (await this.repository.getJob(job.id))!;
      })
      .then((result) => {
        if (result === 'locked') throw new ConflictException('An import of this file is already running');
        return toJobView(result);
      });
    done.catch(jobFailed);
    const job = await created;
    return { job, done };
  }

  /** Runs an import to the end (CLI, start-up sample). */
  async run(request: IngestRequest, onProgress?: ProgressListener): Promise<IngestJobView> {
    const { done } = await this.start(request, onProgress);
    return done;
  }

  /** Like run(), but returns the earlier job when this exact source was already imported completely. */
  async runUnlessDone(request: IngestRequest): Promise<{ job: IngestJobView; alreadyDone: boolean }> {
    const { fingerprint } = await this.prepare(request);
    const previous = await this.repository.findCompleted(fingerprint);
    if (previous) return { job: toJobView(previous), alreadyDone: true };
    return { job: await this.run(request), alreadyDone: false };
  }

  async getJob(id: string): Promise<IngestJobView> {
    const job = await this.repository.getJob(id);
    if (!job) throw new NotFoundException(`No import job ${id}`);
    return toJobView(job);
  }

  async listJobs(limit = 50): Promise<IngestJobView[]> {
    return (await this.repository.listJobs(limit)).map(toJobView);
  }

  private async prepare(request: IngestRequest): Promise<{ rows: ParsedRow[]; fingerprint: string }> {
    const csv = await this.repository.readFile(request.csvPath).catch(() => {
      throw new BadRequestException(`Cannot read the CSV file ${path.basename(request.csvPath)}`);
    });
    if (!(await this.repository.isDirectory(request.imagesDir))) {
      throw new BadRequestException(`The images folder ${path.basename(request.imagesDir)} does not exist`);
    }
    const records = parseCsv(csv.toString('utf8'));
    const window = request.huWindow ?? DEEPLESION_KEYSLICE_WINDOW;
    if (!(window.high > window.low)) throw new BadRequestException('huWindow must have high > low');
    const parsed =
      request.format === 'samples'
        ? parseSamplesCsv(records, window)
        : parseDeepLesionCsv(records, { layout: request.format === 'deeplesion' ? 'png16' : 'gray8', window });
    if (parsed.headerError) throw new BadRequestException(`${path.basename(request.csvPath)}: ${parsed.headerError}`);
    const fingerprint = createHash('sha256')
      .update(csv)
      .update(JSON.stringify([request.format, request.dataset, path.resolve(request.imagesDir), request.format === 'deeplesion' ? null : window]))
      .digest('hex');
    return { rows: parsed.rows, fingerprint };
  }

  private async importRows(runner: Parameters<Parameters<IngestRepository['withSourceLock']>[1]>[0], job: IngestJobEntity, rows: ParsedRow[], request: IngestRequest, onProgress?: ProgressListener): Promise<void> {
    const { batchSize, maxStoredErrors, batchDelayMs } = this.config.ingest;
    const view = { ...job };
    for (let start = job.cursor; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      const errors: IngestRowError[] = [];
      const valid: LesionRecord[] = [];
      for (const row of batch) {
        if (row.ok) valid.push(row.record);
        else errors.push({ line: row.line, message: row.message });
      }
      const checked = await this.checkImages(valid, request.imagesDir, errors);
      errors.sort((a, b) => a.line - b.line);
      const cursor = start + batch.length;
      const ids = await this.repository.commitBatch(runner, request.dataset, job.id, checked, { cursor, imported: checked.length, skipped: errors.length, errors }, maxStoredErrors);
      this.lesions.forgetViews(ids);
      // Embeddings follow their batch; one that fails or is cut off is found missing and redone by `npm run embed`.
      if (ids.length && this.config.encoder.embedOnIngest && this.embedding.isAvailable()) {
        const summary = await this.embedding.embedMissing({ onlyIds: ids });
        await this.repository.addEmbedded(job.id, summary.embedded, runner);
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
  }

  /** Each image must exist, decode as the declared kind, match the declared size and contain the box. */
  private async checkImages(records: LesionRecord[], imagesDir: string, errors: IngestRowError[]): Promise<CheckedLesion[]> {
    const checked: (CheckedLesion | null)[] = new Array(records.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < records.length) {
        const index = next++;
        const record = records[index];
        const result = await this.checkImage(record, imagesDir);
        if (typeof result === 'string') errors.push({ line: record.line, message: result });
        else checked[index] = result;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.ingest.imageCheckConcurrency, records.length) }, worker));
    return checked.filter((c): c is CheckedLesion => c !== null);
  }

  private async checkImage(record: LesionRecord, imagesDir: string): Promise<CheckedLesion | string> {
    const imagePath = resolveInside(imagesDir, record.imageRelPath);
    let header;
    try {
      header = await this.repository.readImageHeader(imagePath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `image not found: ${record.imageRelPath}`;
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
      slicesDir: record.seriesRelDir ? resolveInside(imagesDir, record.seriesRelDir) : null,
      imageWidth: header.width,
      imageHeight: header.height,
    };
  }
}
