import { DatasetScope, effectiveDatasets } from '../common/dataset-scope';
import { BadRequestException, Inject, Injectable, Optional, ServiceUnavailableException, UnprocessableEntityException } from '@nestjs/common';
import { Box, HuImage, PixelSpacing, pixelsToMm } from '../imaging/hu-image';
import { ReferencedSlice, ReferencedSliceService, ReferenceFindings } from '../dicomweb/referenced-slice.service';
import { SIMILAR_LESIONS, SimilarHit, SimilarLesions } from '../lesions/similar-lesions.port';
import { EncoderService } from '../ml/encoder.service';
import { PointMeasurement, PointToBox } from '../reporting/point-to-box.port';
import { PointRequest, SliceRequest, UploadedSlice } from '../uploads/slice-request';
import { DecodedUpload } from '../uploads/upload-job';
import { UploadDecoder } from '../uploads/upload-decoder.service';
import { bodyMasks } from '../detection-core/body-mask';
import { Detection, DetectorService, MIN_BODY_FRACTION, requireReadyDetector } from './detector.service';
import { PointOutsideBodyError, pointToBox } from '../detection-core/point-to-box';
import { Axis } from '../detection-core/recist-axes';
import { PredictedTag, TAG_PREDICTOR, TagPredictor } from './tag-predictor.port';

export interface DetectRequest extends SliceRequest {
  /** Keep boxes scoring at least this (default: the manifest's threshold). */
  scoreThreshold?: number;
  /** At most this many boxes (capped by the manifest). */
  maxDetections?: number;
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

export interface FromPointResponse extends PointMeasurement {
  point: { x: number; y: number };
  method: 'region' | 'disc';
  longAxisPx: number;
  shortAxisPx: number;
  /** The lesion's outline in slice pixels (clockwise on screen); `box` is its bounds plus DeepLesion's margin. */
  contour: { x: number; y: number }[];
  /** RECIST diameters measured on `contour`: end points in slice pixels, lengths in px and (with a spacing) mm. */
  longAxis: MeasuredAxis;
  shortAxis: MeasuredAxis;
  image: { width: number; height: number; spacingMm: number | null; source: DecodedUpload['source'] };
  tags?: PredictedTag[];
  tagPrediction?: TagPredictionState;
}

export interface MeasuredAxis {
  from: { x: number; y: number };
  to: { x: number; y: number };
  lengthPx: number;
  lengthMm: number | null;
}

/** Point-to-box's limit when no detector is loaded: the default detector's (CT slices are 512² to 1024²). */
const DEFAULT_MAX_SLICE_SIDE = 2048;

/**
 * Detection for HTTP callers: decodes uploads, runs the detector or the point-to-box fit, and adds
 * per box the similar archived lesions (SIMILAR_LESIONS) and predicted tags (the optional TAG_PREDICTOR).
 * Batch jobs over a server-side series folder are DetectionJobsService's.
 */
@Injectable()
export class DetectionService implements PointToBox {
  constructor(
    private readonly detector: DetectorService,
    @Inject(SIMILAR_LESIONS) private readonly similarLesions: SimilarLesions,
    private readonly encoder: EncoderService,
    private readonly uploads: UploadDecoder,
    private readonly referenced: ReferencedSliceService,
    @Optional() @Inject(TAG_PREDICTOR) private readonly tagPredictor?: TagPredictor,
  ) {}

  async detect(request: DetectRequest, upload: UploadedSlice, scope: DatasetScope): Promise<DetectionResponse> {
    requireReadyDetector(this.detector);
    const { decoded, neighbours, reference } = await this.decodeUpload(request, upload);
    const { image } = decoded;
    const { detections, timingsMs } = await this.detector.detect(
      { image, neighbours },
      { scoreThreshold: request.scoreThreshold, maxDetections: request.maxDetections },
    );
    const t0 = performance.now();
    const include = new Set(request.include);
    const findings = await this.findings(
      image,
      detections.map((d) => d.box),
      include,
      { k: request.k, dataset: request.dataset, scope },
    );
    const enriched: (Detection & BoxFindings)[] = detections.map((d, i) => ({ ...d, ...findings[i] }));
    return {
      detector: { name: this.detector.loaded.manifest.name, modelId: this.detector.loaded.modelId },
      image: describeImage(image, decoded.source),
      detections: enriched,
      ...(include.has('tags') ? { tagPrediction: this.tagState() } : {}),
      timingsMs: { ...roundAll(timingsMs), findings: Math.round(performance.now() - t0) },
      ...(await this.referenceFindings(request, reference, scope)),
    };
  }

  async fromPoint(request: PointRequest, upload: UploadedSlice, scope: DatasetScope): Promise<FromPointResponse> {
    const { x, y } = request;
    const { decoded, reference } = await this.decodeUpload(request, upload);
    const { image } = decoded;
    if (!(x >= 0 && y >= 0 && x < image.width && y < image.height)) {
      throw new BadRequestException(`the point (${x}, ${y}) lies outside the ${image.width}x${image.height} slice`);
    }
    const masks = bodyMasks(image.data, image.width, image.height);
    if (masks.bodyArea < MIN_BODY_FRACTION * image.width * image.height) {
      throw new UnprocessableEntityException('no body found in the slice (it looks empty: all air, or not a CT slice in HU)');
    }
    let fit;
    try {
      fit = pointToBox(image.data, image.width, image.height, masks, x, y);
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
    const include = new Set(request.include);
    const [findings] = await this.findings(image, [box], include, { k: request.k, dataset: request.dataset, scope });
    return {
      point: { x, y },
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
      ...(await this.referenceFindings(request, reference, scope)),
    };
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
        found.similar = (await this.similarLesions.similarForEmbedding({ vector, image, box: boxes[i] }, ranking, criteria, similar.scope)).hits;
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

  /**
   * Decodes the slice and its neighbours on the decode workers (image problems are 415/422 naming the file),
   * at the request's spacingMm when given, else the file's (a DICOM header's).
   */
  private async decodeUpload(
    request: SliceRequest,
    upload: UploadedSlice,
  ): Promise<{ decoded: DecodedUpload; neighbours: { offsetMm: number; image: HuImage }[]; reference: ReferencedSlice | null }> {
    if (request.dicomweb && (upload.file?.length || upload.neighbours?.length))
      throw new BadRequestException('Give the slice either as the file "file" or as dicomweb (a reference), not both');
    // A referenced slice is fetched (WADO-RS) and then read exactly as an upload: same pool, same checks.
    const reference = request.dicomweb ? await this.referenced.fetch(request.dicomweb) : null;
    const file = reference ? { buffer: reference.bytes } : upload.file?.[0];
    if (!file) throw new BadRequestException('Upload the slice as the multipart file field "file", or send JSON with dicomweb (a slice on a configured PACS)');
    const files = upload.neighbours ?? [];
    const offsets = request.neighbourOffsetsMm;
    if (files.length !== offsets.length)
      throw new BadRequestException(`${files.length} neighbouring slice file(s) but ${offsets.length} offset(s) in neighbourOffsetsMm`);
    const [decoded, ...others] = await this.uploads.decodeSlices(
      [{ bytes: file.buffer, what: 'the slice' }, ...files.map((f, i) => ({ bytes: f.buffer, what: `the neighbouring slice at ${offsets[i]} mm` }))],
      request.read,
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

  private async referenceFindings(request: SliceRequest, reference: ReferencedSlice | null, scope: DatasetScope): Promise<{ dicomweb?: ReferenceFindings }> {
    return reference && request.dicomweb ? { dicomweb: await this.referenced.findings(request.dicomweb, reference.header, scope) } : {};
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
