import { randomUUID } from 'node:crypto';
import { DatasetScope, effectiveDatasets } from '../common/dataset-scope';
import * as path from 'node:path';
import {
  BadRequestException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationBootstrap,
  OnModuleInit,
  Optional,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InputError } from '../common/input-error';
import { isInside, PathRefusedError } from '../common/path-guard';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { decodeSlice } from '../imaging/decode-slice';
import { Box, HuImage, PixelSpacing, pixelSpacing, pixelsToMm } from '../imaging/hu-image';
import { ReferencedSlice, ReferencedSliceService, ReferenceFindings } from '../dicomweb/referenced-slice.service';
import { EncoderService } from '../ml/encoder.service';
import { SearchService, SimilarHit } from '../search/search.service';
import { DecodedUpload } from '../uploads/upload-job';
import { UploadDecoder } from '../uploads/upload-decoder.service';
import { bodyMasks } from '../detection-core/body-mask';
import { DetectDto, FromPointDto, SliceUploadDto, StartDetectionJobDto } from './detection.dto';
import { DetectionJobOptions, DetectionJobView, toDetectionJobView } from './detection-jobs';
import { DetectionJobsRepository } from './detection-jobs.repository';
import { DetectionJobPayload } from '../jobs/job-payloads';
import { JOB_QUEUE, JobContext, JobQueue } from '../jobs/job-queue.port';
import { isTransientError } from '../jobs/transient-error';
import { Detection, DetectorService, MIN_BODY_FRACTION } from './detector.service';
import { PointOutsideBodyError, pointToBox } from '../detection-core/point-to-box';
import { Axis } from '../detection-core/recist-axes';
import { SeriesFilesRepository } from './series-files.repository';
import { PredictedTag, TAG_PREDICTOR, TagPredictor } from './tag-predictor.port';

export interface UploadedSlice {
  file?: { buffer: Buffer }[];
  neighbours?: { buffer: Buffer }[];
}

export interface BoxFindings {
  similar?: SimilarHit[];
  tags?: PredictedTag[];
}

export type TagPredictionState = 'available' | 'unavailable';

export interface DetectionResponse {
  detector: { name: string; modelId: string };
  image: { width: number; height: number; spacingMm: number | null; source: DecodedUpload['source'] };
  detections: (Detection & BoxFindings)[];
  /** Present when tags were asked for. */
  tagPrediction?: TagPredictionState;
  timingsMs: { prepare: number; model: number; decode: number; findings: number };
  /** For a slice given by DICOMweb reference: the reference and the same patient's archived lesions. */
  dicomweb?: ReferenceFindings;
}

export interface FromPointResponse {
  point: { x: number; y: number };
  box: Box;
  method: 'region' | 'disc';
  longAxisPx: number;
  shortAxisPx: number;
  longAxisMm: number | null;
  shortAxisMm: number | null;
  /** The lesion's outline in slice pixels (clockwise on screen); `box` is its bounds plus DeepLesion's margin. */
  contour: { x: number; y: number }[];
  /** RECIST diameters measured on `contour`: end points in slice pixels, lengths in px and (with a spacing) mm. */
  longAxis: MeasuredAxis;
  shortAxis: MeasuredAxis;
  image: { width: number; height: number; spacingMm: number | null; source: DecodedUpload['source'] };
  similar?: SimilarHit[];
  tags?: PredictedTag[];
  tagPrediction?: TagPredictionState;
  /** For a slice given by DICOMweb reference: the reference and the same patient's archived lesions. */
  dicomweb?: ReferenceFindings;
}

export interface MeasuredAxis {
  from: { x: number; y: number };
  to: { x: number; y: number };
  lengthPx: number;
  lengthMm: number | null;
}

/**
 * Detection for HTTP callers: decodes uploads, runs the detector or the point-to-box fit, and adds
 * per box the similar archived lesions (SearchService) and predicted tags (the optional TAG_PREDICTOR).
 * Batch jobs over a server-side series folder run in the background with progress.
 */
/** Point-to-box's limit when no detector is loaded: the default detector's (CT slices are 512² to 1024²). */
const DEFAULT_MAX_SLICE_SIDE = 2048;
/** How long a job waits for the worker's detector to finish loading. */
const DETECTOR_LOAD_WAIT_MS = 120_000;

@Injectable()
export class DetectionService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Detection');

  constructor(
    private readonly detector: DetectorService,
    private readonly search: SearchService,
    private readonly encoder: EncoderService,
    private readonly files: SeriesFilesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uploads: UploadDecoder,
    private readonly referenced: ReferencedSliceService,
    private readonly jobs: DetectionJobsRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Optional() @Inject(TAG_PREDICTOR) private readonly tagPredictor?: TagPredictor,
  ) {}

  onModuleInit(): void {
    this.queue.handle('detection', (payload, context) => this.runJob(payload, context));
  }

  async detect(dto: DetectDto, upload: UploadedSlice, scope: DatasetScope): Promise<DetectionResponse> {
    this.requireDetector();
    const { decoded, neighbours, reference } = await this.decodeUpload(dto, upload);
    const { image } = decoded;
    const { detections, timingsMs } = await this.detector.detect(
      { image, neighbours },
      { scoreThreshold: dto.scoreThreshold, maxDetections: dto.maxDetections },
    );
    const t0 = performance.now();
    const include = new Set(dto.include ?? []);
    const findings = await this.findings(
      image,
      detections.map((d) => d.box),
      include,
      { k: dto.k, dataset: dto.dataset, scope },
    );
    const enriched: (Detection & BoxFindings)[] = detections.map((d, i) => ({ ...d, ...findings[i] }));
    return {
      detector: { name: this.detector.loaded.manifest.name, modelId: this.detector.loaded.modelId },
      image: describeImage(image, decoded.source),
      detections: enriched,
      ...(include.has('tags') ? { tagPrediction: this.tagState() } : {}),
      timingsMs: { ...roundAll(timingsMs), findings: Math.round(performance.now() - t0) },
      ...(await this.referenceFindings(dto, reference, scope)),
    };
  }

  async fromPoint(dto: FromPointDto, upload: UploadedSlice, scope: DatasetScope): Promise<FromPointResponse> {
    const { decoded, reference } = await this.decodeUpload(dto, upload);
    const { image } = decoded;
    if (!(dto.x >= 0 && dto.y >= 0 && dto.x < image.width && dto.y < image.height)) {
      throw new BadRequestException(`the point (${dto.x}, ${dto.y}) lies outside the ${image.width}x${image.height} slice`);
    }
    const masks = bodyMasks(image.data, image.width, image.height);
    if (masks.bodyArea < MIN_BODY_FRACTION * image.width * image.height) {
      throw new UnprocessableEntityException('no body found in the slice (it looks empty: all air, or not a CT slice in HU)');
    }
    let fit;
    try {
      fit = pointToBox(image.data, image.width, image.height, masks, dto.x, dto.y);
    } catch (error) {
      if (error instanceof PointOutsideBodyError) throw new UnprocessableEntityException(error.message);
      throw error;
    }
    const box = {
      x1: clampRound(fit.box.x1, image.width),
      y1: clampRound(fit.box.y1, image.height),
      x2: clampRound(fit.box.x2, image.width),
      y2: clampRound(fit.box.y2, image.height),
    };
    const include = new Set(dto.include ?? ['similar', 'tags']);
    const [findings] = await this.findings(image, [box], include, { k: dto.k, dataset: dto.dataset, scope });
    return {
      point: { x: dto.x, y: dto.y },
      box,
      method: fit.method,
      longAxisPx: round1(fit.longAxisPx),
      shortAxisPx: round1(fit.shortAxisPx),
      longAxisMm: roundMm(fit.longAxisPx, image.spacing),
      shortAxisMm: roundMm(fit.shortAxisPx, image.spacing),
      contour: fit.contour.map(roundPoint),
      longAxis: measuredAxis(fit.recist.long, image.spacing),
      shortAxis: measuredAxis(fit.recist.short, image.spacing),
      image: describeImage(image, decoded.source),
      ...findings,
      ...(include.has('tags') ? { tagPrediction: this.tagState() } : {}),
      ...(await this.referenceFindings(dto, reference, scope)),
    };
  }

  /**
   * Checks the series folder, records the job in PostgreSQL and puts it on the job queue: run here
   * (no REDIS_URL) or by any worker; its status is readable from every process and survives a restart.
   */
  async startJob(dto: StartDetectionJobDto): Promise<DetectionJobView> {
    this.requireDetector();
    const { shown, slices } = await this.seriesSlices(dto.series);
    if (!slices.length) throw new BadRequestException(`the series folder ${shown} holds no slice files ({slice}.png)`);
    await this.queue.assertRoom('detection');
    const options: DetectionJobOptions = {};
    if (dto.spacingMm !== undefined) options.spacingMm = dto.spacingMm;
    if (dto.sliceIntervalMm !== undefined) options.sliceIntervalMm = dto.sliceIntervalMm;
    if (dto.scoreThreshold !== undefined) options.scoreThreshold = dto.scoreThreshold;
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
        if (error instanceof BadRequestException || error instanceof ServiceUnavailableException)
          return await this.jobs.setStatus(job.id, 'failed', error.message);
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
          const { detections } = await this.detector.detect({ image, neighbours }, { scoreThreshold: payload.scoreThreshold });
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

  /** A slice of a job's folder at the series' spacing: a file symlinked out of the root, a device or one over the upload bound fails that slice. */
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

  /**
   * Per box: similar archived lesions and predicted tags, from one embedding of the box. The encoder's
   * inputs are prepared on a decode worker (a fine spacing on a large slice makes each a large blur).
   */
  private async findings(
    image: HuImage,
    boxes: Box[],
    include: Set<string>,
    similar: { k: number; dataset?: string[]; scope: DatasetScope },
  ): Promise<BoxFindings[]> {
    const needVectors = include.has('similar') || (include.has('tags') && this.tagPredictor);
    if (!needVectors || !boxes.length) return boxes.map(() => (include.has('tags') ? { tags: [] } : {}));
    if (!include.has('similar') && this.encoder.status().state !== 'ready') throw new ServiceUnavailableException('The encoder is not ready');
    const prepared = await this.uploads.patchesFor(image, boxes);
    const out: BoxFindings[] = [];
    for (let i = 0; i < boxes.length; i++) {
      const vector = await this.encoder.embedPrepared(prepared[i]);
      const found: BoxFindings = {};
      if (include.has('similar')) {
        const ranking = { k: similar.k, locationWeight: 0, sizeWeight: 0 };
        const criteria = { datasets: effectiveDatasets(similar.scope, similar.dataset) };
        found.similar = (await this.search.similarForEmbedding(vector, image, boxes[i], ranking, criteria, similar.scope)).hits;
      }
      if (include.has('tags')) found.tags = this.tagPredictor ? await this.tagPredictor.predictForEmbedding(vector, this.encoder.loaded.modelId) : [];
      out.push(found);
    }
    return out;
  }

  private tagState(): TagPredictionState {
    return this.tagPredictor ? 'available' : 'unavailable';
  }

  /**
   * The largest slice detection and point-to-box take, as pixels: the detector's longest side squared, so
   * a larger image is refused from its header instead of being decoded, and masked and fitted on the event
   * loop at full size (a 3500² JPEG cost seconds there).
   */
  private slicePixelBudget(): number {
    const maxSide = this.detector.status().state === 'ready' ? this.detector.loaded.manifest.input.maxSide : DEFAULT_MAX_SLICE_SIDE;
    return maxSide * maxSide;
  }

  private requireDetector(): void {
    const status = this.detector.status();
    if (status.state !== 'ready')
      throw new ServiceUnavailableException(status.state === 'loading' ? 'The detector is still loading' : 'The detector failed to load (see the service log)');
  }

  /**
   * Decodes the slice and its neighbours on the decode workers (image problems are 415/422 naming the file),
   * at the form's spacingMm when given, else the file's (a DICOM header's).
   */
  private async decodeUpload(
    dto: SliceUploadDto,
    upload: UploadedSlice,
  ): Promise<{ decoded: DecodedUpload; neighbours: { offsetMm: number; image: HuImage }[]; reference: ReferencedSlice | null }> {
    if (dto.dicomweb && (upload.file?.length || upload.neighbours?.length))
      throw new BadRequestException('Give the slice either as the file "file" or as dicomweb (a reference), not both');
    // A referenced slice is fetched (WADO-RS) and then read exactly as an upload: same pool, same checks.
    const reference = dto.dicomweb ? await this.referenced.fetch(dto.dicomweb) : null;
    const file = reference ? { buffer: reference.bytes } : upload.file?.[0];
    if (!file) throw new BadRequestException('Upload the slice as the multipart file field "file", or send JSON with dicomweb (a slice on a configured PACS)');
    const files = upload.neighbours ?? [];
    const offsets = dto.neighbourOffsetsMm ? dto.neighbourOffsetsMm.split(',').map(Number) : [];
    if (files.length !== offsets.length)
      throw new BadRequestException(`${files.length} neighbouring slice file(s) but ${offsets.length} offset(s) in neighbourOffsetsMm`);
    const [decoded, ...others] = await this.uploads.decodeSlices(
      [{ bytes: file.buffer, what: 'the slice' }, ...files.map((f, i) => ({ bytes: f.buffer, what: `the neighbouring slice at ${offsets[i]} mm` }))],
      dto,
      this.slicePixelBudget(),
    );
    const neighbours = others.map((n, i) => ({ offsetMm: offsets[i], image: n.image }));
    for (const n of neighbours) {
      if (n.image.width !== decoded.image.width || n.image.height !== decoded.image.height) {
        throw new UnprocessableEntityException(
          `the neighbouring slice at ${n.offsetMm} mm is ${n.image.width}x${n.image.height}, the slice ${decoded.image.width}x${decoded.image.height}`,
        );
      }
    }
    return { decoded, neighbours, reference };
  }

  private async referenceFindings(dto: SliceUploadDto, reference: ReferencedSlice | null, scope: DatasetScope): Promise<{ dicomweb?: ReferenceFindings }> {
    return reference && dto.dicomweb ? { dicomweb: await this.referenced.findings(dto.dicomweb, reference.header, scope) } : {};
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function roundPoint(p: { x: number; y: number }): { x: number; y: number } {
  return { x: round1(p.x), y: round1(p.y) };
}

function roundMm(lengthPx: number, spacing: PixelSpacing | null): number | null {
  const mm = pixelsToMm(lengthPx, spacing);
  return mm === null ? null : round1(mm);
}

function measuredAxis(axis: Axis, spacing: PixelSpacing | null): MeasuredAxis {
  return { from: roundPoint(axis.from), to: roundPoint(axis.to), lengthPx: round1(axis.lengthPx), lengthMm: roundMm(axis.lengthPx, spacing) };
}

/** The image as responses describe it: spacingMm is the column spacing (x). */
function describeImage(image: HuImage, source: DecodedUpload['source']): DetectionResponse['image'] {
  return { width: image.width, height: image.height, spacingMm: image.spacing?.x ?? null, source };
}

function clampRound(v: number, max: number): number {
  return round1(Math.min(max, Math.max(0, v)));
}

function roundAll<T extends Record<string, number>>(t: T): T {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v * 10) / 10])) as T;
}
