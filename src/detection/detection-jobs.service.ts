import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { BadRequestException, Inject, Injectable, Logger, NotFoundException, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { InputError } from '../common/input-error';
import { isInside, PathRefusedError } from '../common/path-guard';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { decodeSlice } from '../imaging/decode-slice';
import { HuImage, PixelSpacing, pixelSpacing } from '../imaging/hu-image';
import { DetectionJobPayload } from '../jobs/job-payloads';
import { JOB_QUEUE, JobContext, JobQueue } from '../jobs/job-queue.port';
import { isTransientError } from '../jobs/transient-error';
import { DetectionJobOptions, DetectionJobView, toDetectionJobView, whenWorkersFree } from './detection-jobs';
import { DetectionJobsRepository } from './detection-jobs.repository';
import { DetectorService, requireReadyDetector } from './detector.service';
import { SeriesFilesRepository } from './series-files.repository';

/** How long a job waits for the worker's detector to finish loading. */
const DETECTOR_LOAD_WAIT_MS = 120_000;

/**
 * Batch detection over a server-side series folder, in the background with progress: recorded in
 * PostgreSQL and run from the job queue by this process or any worker.
 */
@Injectable()
export class DetectionJobsService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Detection');

  constructor(
    private readonly jobs: DetectionJobsRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly detector: DetectorService,
    private readonly files: SeriesFilesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.queue.handle('detection', (payload, context) => this.runJob(payload, context));
  }

  /**
   * Checks the series folder, records the job in PostgreSQL and puts it on the job queue: run here
   * (no REDIS_URL) or by any worker; its status is readable from every process and survives a restart.
   */
  async startJob(series: string, options: DetectionJobOptions): Promise<DetectionJobView> {
    requireReadyDetector(this.detector);
    const { shown, slices } = await this.seriesSlices(series);
    if (!slices.length) throw new BadRequestException(`the series folder ${shown} holds no slice files ({slice}.png)`);
    await this.queue.assertRoom('detection');
    const row = await this.jobs.create(
      randomUUID(),
      shown,
      slices.length,
      options,
      this.queue.distributed ? 'queued' : 'running',
      this.config.detector.maxJobs,
    );
    try {
      await this.queue.enqueue('detection', { jobId: row.id, series: shown, ...options });
    } catch (error) {
      await this.jobs.setStatus(row.id, 'failed', 'the job could not be queued').catch(() => undefined);
      throw error;
    }
    return toDetectionJobView(row);
  }

  async getJob(id: string): Promise<DetectionJobView> {
    const job = await this.jobs.get(id);
    if (!job) throw new NotFoundException(`No detection job ${id}`);
    return toDetectionJobView(job);
  }

  /**
   * In-process jobs (no REDIS_URL) cut off by a stop are resumed by the next start. Under BullMQ the
   * queue hands a dead worker's job to another worker instead.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.queue.distributed || this.config.role === 'api') return;
    for (const job of await this.jobs.stale(this.config.jobs.lockMs)) {
      this.logger.warn(`Resuming detection job ${job.id} at slice ${job.done} of ${job.total}`);
      await this.jobs.setStatus(job.id, 'queued');
      await this.queue
        .enqueue('detection', { jobId: job.id, series: job.series, ...job.options })
        .catch((error: Error) => this.logger.warn(`Detection job ${job.id} not resumed: ${error.message}`));
    }
  }

  /** The series folder under DETECTION_SERIES_ROOT (symlinks resolved) and its slice files; 400 naming the cause otherwise. */
  private async seriesSlices(series: string): Promise<{ root: string; real: string; shown: string; slices: string[] }> {
    const root = (await this.files.realFolder(this.config.detector.seriesRoot)) ?? path.resolve(this.config.detector.seriesRoot);
    const requested = path.resolve(root, series);
    if (!isInside(root, requested)) throw new BadRequestException('the series folder must lie under the configured DETECTION_SERIES_ROOT');
    const real = await this.files.realFolder(requested);
    const shown = path.relative(root, requested) || '.';
    if (!real) throw new BadRequestException(`the series folder ${shown} does not exist under DETECTION_SERIES_ROOT`);
    if (!isInside(root, real)) throw new BadRequestException('the series folder must lie under the configured DETECTION_SERIES_ROOT');
    return { root, real, shown, slices: await this.files.listSlices(real) };
  }

  /**
   * Runs a queued job from its first unrecorded slice, holding the job's lock (a second delivery waits
   * for it). Each slice is also recorded only if the job is still where this runner left it.
   */
  private runJob(payload: DetectionJobPayload, context: JobContext): Promise<void> {
    return this.jobs.withJobLock(payload.jobId, () => this.runLocked(payload, context));
  }

  private async runLocked(payload: DetectionJobPayload, context: JobContext): Promise<void> {
    const job = await this.jobs.get(payload.jobId);
    if (!job || job.status === 'completed' || job.status === 'failed') return;
    try {
      // A worker may take a job while its detector is still loading.
      for (let waited = 0; this.detector.status().state === 'loading' && waited < DETECTOR_LOAD_WAIT_MS; waited += 200)
        await new Promise((resolve) => setTimeout(resolve, 200));
      if (this.detector.status().state !== 'ready')
        return await this.jobs.setStatus(job.id, 'failed', 'the detector is not available in the worker that took the job');
      let folder;
      try {
        folder = await this.seriesSlices(payload.series);
      } catch (error) {
        if (error instanceof BadRequestException) return await this.jobs.setStatus(job.id, 'failed', error.message);
        throw error;
      }
      const { root, real, slices } = folder;
      if (slices.length !== job.total) return await this.jobs.setStatus(job.id, 'failed', 'the series folder changed since the job was started');
      await this.jobs.setStatus(job.id, 'running');
      const offsets = this.detector.loaded.manifest.input.sliceOffsetsMm.filter((o) => o !== 0);
      const interval = payload.sliceIntervalMm ?? 1;
      // The job's spacingMm is the series' (PNG slices carry none); as an upload's field, it wins over a DICOM slice's own.
      const spacing = pixelSpacing(payload.spacingMm);
      for (let i = job.done; i < slices.length; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        let recorded: boolean;
        try {
          const image = await this.readSlice(path.join(real, slices[i]), root, spacing);
          const neighbours: { offsetMm: number; image: HuImage }[] = [];
          for (const offset of offsets) {
            const j = i + Math.round(offset / interval);
            if (j >= 0 && j < slices.length && j !== i)
              neighbours.push({ offsetMm: (j - i) * interval, image: await this.readSlice(path.join(real, slices[j]), root, spacing) });
          }
          const { detections } = await whenWorkersFree(() => this.detector.detect({ image, neighbours }, { scoreThreshold: payload.scoreThreshold }));
          recorded = await this.jobs.recordSlice(job.id, i, { result: { slice: slices[i], detections } });
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          recorded = await this.jobs.recordSlice(job.id, i, { error: { slice: slices[i], message: error.message } });
        }
        if (!recorded) return; // another worker has this job now
      }
      await this.jobs.setStatus(job.id, 'completed');
    } catch (error) {
      this.logger.error(`Detection job ${job.id} failed: ${(error as Error).message}`);
      if (!context.finalAttempt && isTransientError(error)) {
        await this.jobs.setStatus(job.id, 'queued', 'retrying after a transient error').catch(() => undefined);
        throw error;
      }
      await this.jobs.setStatus(job.id, 'failed', 'the job stopped on an internal error').catch(() => undefined);
    }
  }

  /** A slice of a job's folder: a file symlinked out of the root, a device or one over the upload bound fails that slice. */
  private async readSlice(file: string, root: string, spacing: PixelSpacing | null): Promise<HuImage> {
    let bytes: Buffer;
    try {
      bytes = await this.files.readSliceFile(file, root, this.config.maxUploadBytes);
    } catch (error) {
      if (!(error instanceof PathRefusedError)) throw error;
      const why =
        error.reason === 'not-found'
          ? 'not found under DETECTION_SERIES_ROOT'
          : error.reason === 'too-large'
            ? `${error.message} (MAX_UPLOAD_BYTES)`
            : error.message;
      throw new InputError(`${path.basename(file)}: ${why}`);
    }
    return decodeSlice(bytes, { spacing }).image;
  }
}
