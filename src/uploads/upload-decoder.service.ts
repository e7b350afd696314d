import { BadRequestException, ConflictException, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InputError } from '../common/input-error';
import { currentRequestSignal } from '../common/request-timeout.interceptor';
import { RetryLaterException } from '../common/retry-later.exception';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Detection, DetectionOptions, PreparedInput, SliceInput } from '../detection-core/detector-io';
import { RawTensor } from '../detection-core/output-adapters';
import { SliceEncoding } from '../imaging/decode-slice';
import { DetectorManifest } from '../ml/detector-manifest';
import { Box, HuImage, HuWindow, PixelSpacing, pixelSpacing } from '../imaging/hu-image';
import { checkPixelBudget, readImageHeader } from '../imaging/image-header';
import { huToPng16 } from '../imaging/png16-writer';
import { EncoderService } from '../ml/encoder.service';
import { PreparedPatch } from '../ml/patch-job';
import { UploadPool, UploadPoolClosedError, UploadPoolStats, UploadQueueFullError, UploadTimeoutError } from './upload-pool';
import { DecodedUpload, namingTheFile, SliceBytes, SliceReadOptions, UploadJob, UploadJobResult } from './upload-job';

/** How an upload is to be read, as the multipart form gives it. */
export interface UploadReadForm {
  encoding?: SliceEncoding;
  /** "low,high" for an 8-bit image. */
  huWindow?: string;
  /** In-plane pixel spacing in mm (square pixels). Given, it wins over the file's own (a DICOM header's), as it always has. */
  spacingMm?: number;
}

export interface EmbeddingInput {
  width: number;
  height: number;
  spacing: PixelSpacing | null;
  prepared: PreparedPatch;
}

/** The largest HU magnitude a window may name (CT spans about −1024 to 3071; this is generous). */
export const MAX_WINDOW_HU = 100_000;

/**
 * The one way uploaded slices are decoded (search by upload, detection, point to box): on the decode
 * workers, within UPLOAD_DECODE_CONCURRENCY, UPLOAD_QUEUE_LIMIT and REQUEST_TIMEOUT_MS. Image problems
 * come back as InputErrors (415/422, 400 for a box outside the image); a full queue or a timeout as 503
 * with Retry-After.
 */
@Injectable()
export class UploadDecoder implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('UploadDecoder');
  /** Two lanes, so a large image never holds up a normal slice: each has its workers and queue. */
  private pools: { small: UploadPool; large: UploadPool } | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly encoder: EncoderService,
  ) {}

  onModuleInit(): void {
    const { decodeConcurrency, queueLimit, largeRestRatio, workerNiceness } = this.config.uploads;
    this.pools = {
      small: new UploadPool(decodeConcurrency, queueLimit, { niceness: workerNiceness, lane: 'small' }),
      // One long-lived worker: a fresh thread per job left each job's allocator arena behind (RSS +1 GB over
      // 30 sequential 3500² previews, against +180 MB reusing it; docs/BENCHMARKS.md, fuzz suite).
      large: new UploadPool(1, queueLimit, { restRatio: largeRestRatio, niceness: workerNiceness, lane: 'large' }),
    };
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.pools?.small.close(), this.pools?.large.close()]);
  }

  stats(): { small: UploadPoolStats; large: UploadPoolStats } | null {
    return this.pools ? { small: this.pools.small.stats(), large: this.pools.large.stats() } : null;
  }

  /**
   * Decodes the slice and its neighbours (in that order) to HU. `maxPixels` lowers the configured pixel
   * budget for callers that take smaller images (detection), so a larger one is refused from its header.
   */
  async decodeSlices(files: SliceBytes[], form: UploadReadForm, maxPixels?: number): Promise<DecodedUpload[]> {
    const options = this.readOptions(form);
    if (maxPixels !== undefined) options.maxPixels = Math.min(options.maxPixels ?? maxPixels, maxPixels);
    // A PNG or JPEG over the budget is refused from its header now, not after a wait in the large-image queue.
    const budget = options.maxPixels ?? this.config.uploads.maxImagePixels;
    const sizes = files.map((file) => statedSize(file.bytes));
    files.forEach((file, i) => {
      const size = sizes[i];
      if (size) namingTheFile(file, () => checkPixelBudget(size.width, size.height, budget));
    });
    const pixels = files.reduce((sum, file, i) => sum + estimatedPixels(file.bytes, sizes[i]), 0);
    const result = await this.run({ kind: 'decode', files: files.map(ownCopy), options }, pixels);
    if (result.ok && result.kind === 'decode') return result.slices;
    throw this.failure(result);
  }

  /**
   * The slice as the server decodes it, as a DeepLesion 16-bit PNG (HU + 32768), for the browser to show
   * (it cannot decode compressed DICOM itself), with the column spacing read from the file (a form's
   * spacingMm is not the file's and is left out).
   */
  async preview(bytes: Uint8Array, form: UploadReadForm): Promise<{ png: Buffer; spacingMm: number | null }> {
    const [slice] = await this.decodeSlices([{ bytes, what: null }], { encoding: form.encoding, huWindow: form.huWindow });
    return { png: await huToPng16(slice.image), spacingMm: slice.image.spacing?.x ?? null };
  }

  /** Decodes one slice and prepares the encoder's input for `box` on it (at the form's spacing, else the file's). */
  async embeddingInput(bytes: Uint8Array, form: UploadReadForm, box: Box): Promise<EmbeddingInput> {
    if (this.encoder.status().state !== 'ready') throw new ConflictException('The encoder is not ready');
    const manifest = this.encoder.loaded.manifest;
    const file = ownCopy({ bytes, what: null });
    const result = await this.run({ kind: 'embedding-input', file, options: this.readOptions(form), box, manifest });
    if (result.ok && result.kind === 'embedding-input')
      return { width: result.width, height: result.height, spacing: result.spacing, prepared: result.prepared };
    throw this.failure(result);
  }

  /**
   * The encoder's inputs for boxes on a decoded slice (at its spacing), prepared on a decode worker (the
   * image is copied there): at a fine spacing on a large slice each costs a blur over thousands of pixels.
   */
  async patchesFor(image: HuImage, boxes: Box[]): Promise<PreparedPatch[]> {
    if (!boxes.length) return [];
    if (this.encoder.status().state !== 'ready') throw new ConflictException('The encoder is not ready');
    const result = await this.run({ kind: 'patches', image, boxes, manifest: this.encoder.loaded.manifest });
    if (result.ok && result.kind === 'patches') return result.prepared;
    throw this.failure(result);
  }

  /** The detector's model input for a slice (and its neighbours), prepared on a decode worker (the images are copied there). */
  async detectorInput(slice: SliceInput, manifest: DetectorManifest): Promise<PreparedInput> {
    const result = await this.run({ kind: 'detector-input', slice, manifest });
    if (result.ok && result.kind === 'detector-input') return result.prepared;
    throw this.failure(result);
  }

  /** The detector's boxes from its model outputs, read on a decode worker; `prepared` and `outputs` move there (unusable after). */
  async detections(
    manifest: DetectorManifest,
    prepared: Pick<PreparedInput, 'fit' | 'fitted' | 'masks'>,
    outputs: Record<string, RawTensor>,
    options: DetectionOptions,
  ): Promise<Detection[]> {
    const { fit, fitted, masks } = prepared;
    const result = await this.run({ kind: 'detections', manifest, prepared: { fit, fitted, masks }, outputs, options });
    if (result.ok && result.kind === 'detections') return result.detections;
    throw this.failure(result);
  }

  private readOptions(form: UploadReadForm): SliceReadOptions {
    return {
      encoding: form.encoding ?? 'auto',
      window: parseHuWindow(form.huWindow),
      maxPixels: this.config.uploads.maxImagePixels,
      spacing: pixelSpacing(form.spacingMm),
    };
  }

  /** `pixels`: what the job will decode, which picks its lane (the job's own estimate when not given). */
  private async run(job: UploadJob, pixels = jobPixels(job)): Promise<UploadJobResult> {
    // Upload bytes move to the worker; a decoded image is copied (the caller still uses it).
    const transfer = movedToWorker(job);
    const pool = pixels > LARGE_IMAGE_PIXELS ? this.pools!.large : this.pools!.small;
    try {
      return await pool.run(job, transfer, this.config.requestTimeoutMs, currentRequestSignal());
    } catch (error) {
      if (error instanceof UploadPoolClosedError) throw new RetryLaterException('The service is shutting down; try again shortly', 5);
      if (error instanceof UploadQueueFullError) {
        throw new RetryLaterException('The service is busy decoding other uploads (the upload queue is full); try again shortly', error.retryAfterSeconds);
      }
      if (error instanceof UploadTimeoutError) {
        throw new RetryLaterException(
          `The upload was not decoded within the request time limit (${this.config.requestTimeoutMs} ms) and was stopped; try again later`,
          error.retryAfterSeconds,
        );
      }
      throw error;
    }
  }

  private failure(result: UploadJobResult): Error {
    if (result.ok) return new Error(`unexpected upload job result ${result.kind}`);
    if (result.status === 500) {
      // Not only uploads: the detector's preparation and output reading run on these workers too.
      this.logger.error(`Decode worker job failed: ${result.message}`);
      return new Error('a decode worker job failed');
    }
    return new InputError(result.message, result.status);
  }
}

/**
 * Images above this many pixels (2048²) decode in the large lane: one worker of its own, so a few of
 * them (a 3500² JPEG takes seconds) queue among themselves while CT-sized slices keep moving.
 */
export const LARGE_IMAGE_PIXELS = 2048 * 2048;

/**
 * The buffers a job hands to its worker instead of copying: upload bytes and the detector's outputs and
 * prepared arrays (used once). Decoded images are copied: their callers still use them.
 */
function movedToWorker(job: UploadJob): ArrayBuffer[] {
  const views: ArrayBufferView[] =
    job.kind === 'decode'
      ? job.files.map((f) => f.bytes)
      : job.kind === 'embedding-input'
        ? [job.file.bytes]
        : job.kind === 'detections'
          ? [
              ...Object.values(job.outputs).map((t) => t.data),
              job.prepared.fitted,
              ...Object.values(job.prepared.masks ?? {}).filter((v) => ArrayBuffer.isView(v)),
            ]
          : [];
  return [...new Set(views.map((v) => v.buffer as ArrayBuffer))];
}

/** The size a PNG or JPEG header states; null for other bytes (DICOM) and headers that cannot be read. */
function statedSize(bytes: Uint8Array): { width: number; height: number } | null {
  try {
    return readImageHeader(bytes, Number.MAX_SAFE_INTEGER);
  } catch {
    return null;
  }
}

/** What a file will decode to: its header's size, else (DICOM) two bytes per pixel. */
function estimatedPixels(bytes: Uint8Array, size = statedSize(bytes)): number {
  return size ? size.width * size.height : bytes.length / 2;
}

/** What a job will decode or handle, from headers and sizes only. */
function jobPixels(job: UploadJob): number {
  if (job.kind === 'decode') return job.files.reduce((sum, f) => sum + estimatedPixels(f.bytes), 0);
  if (job.kind === 'embedding-input') return estimatedPixels(job.file.bytes);
  if (job.kind === 'detector-input') return job.slice.image.width * job.slice.image.height * (1 + (job.slice.neighbours?.length ?? 0));
  if (job.kind === 'detections') return job.prepared.fit.width * job.prepared.fit.height;
  return job.image.width * job.image.height;
}

/** "low,high" → a HU window, both finite within ±MAX_WINDOW_HU and high > low; absent → null. */
export function parseHuWindow(text: string | undefined): HuWindow | null {
  if (text === undefined) return null;
  const [low, high] = text.split(',').map(Number);
  if (!(Math.abs(low) <= MAX_WINDOW_HU && Math.abs(high) <= MAX_WINDOW_HU))
    throw new BadRequestException(`huWindow values must lie within ±${MAX_WINDOW_HU} HU`);
  if (!(high > low)) throw new BadRequestException('huWindow must have high > low');
  return { low, high };
}

/** The bytes in an ArrayBuffer of their own: a Buffer may be a view into Node's shared pool, which must not be transferred. */
function ownCopy(file: SliceBytes): SliceBytes {
  return { bytes: new Uint8Array(file.bytes), what: file.what };
}
