import { InputError } from '../common/input-error';
import { Box, HuImage } from '../imaging/hu-image';
import { SCALES_PER_OCTAVE } from '../ml/default-detector/scale-space';
import { DetectorManifest } from '../ml/detector-manifest';
import { detectBlobs } from './blob-candidates';
import { BodyMasks, bodyMasks } from './body-mask';
import { clipBox } from './box-math';
import { fitSlice, planFit, SliceFit } from './fit-slice';
import { nonMaximumSuppression, ScoredBox } from './nms';
import { decodeBoxesScores, decodeYolo, RawTensor } from './output-adapters';

// The detector's work before and after its model run, as pure functions of the manifest: they run on a
// decode worker (uploads), since at 512² each costs tens of milliseconds of CPU (body masks, blob search).

export interface SliceInput {
  /** The key slice; its spacing (when known) scales it to the manifest's. */
  image: HuImage;
  /** Neighbouring slices with their offset from the key slice in mm (same size as the key slice). */
  neighbours?: { offsetMm: number; image: HuImage }[];
}

export interface Detection {
  /** In the uploaded slice's pixel coordinates. */
  box: Box;
  score: number;
  /** Default detector: the blob's channel and scale; YOLO: the class. */
  detail?: { channel?: string; sigmaPx?: number; classIndex?: number; className?: string };
}

export interface PreparedInput {
  input: Float32Array;
  dims: number[];
  fit: SliceFit;
  fitted: Float32Array;
  masks: BodyMasks | null;
}

export interface DetectionOptions {
  scoreThreshold?: number;
  maxDetections?: number;
}

/** Below this share of the slice inside the body outline there is nothing to examine. */
export const MIN_BODY_FRACTION = 0.01;
const CHANNEL_NAMES = ['soft-tissue bright', 'soft-tissue dark', 'lung bright', 'lung dark'];

/** Checks the slice against the manifest and builds the model input. */
export function prepareDetectorInput(manifest: DetectorManifest, slice: SliceInput): PreparedInput {
  const { image } = slice;
  checkDimensions(image, manifest);
  for (const n of slice.neighbours ?? []) {
    if (n.image.width !== image.width || n.image.height !== image.height) {
      throw new InputError(`neighbouring slice at ${n.offsetMm} mm is ${n.image.width}x${n.image.height}, the key slice ${image.width}x${image.height}`, 422);
    }
  }
  const { size, windows, sliceOffsetsMm, normalisation } = manifest.input;
  const fit = planFit(image, size, manifest.input.spacingMm);
  const fitted = fitSlice(image, fit);
  const needMasks = manifest.input.maskOutsideBody || manifest.output.format === 'blob-scale-space';
  const masks = needMasks ? bodyMasks(fitted, size, size) : null;
  if (masks && masks.bodyArea < MIN_BODY_FRACTION * fit.width * fit.height) {
    throw new InputError('no body found in the slice (it looks empty: all air, or not a CT slice in HU)', 422);
  }
  const plane = size * size;
  const input = new Float32Array(windows.length * sliceOffsetsMm.length * plane);
  let channel = 0;
  for (const offset of sliceOffsetsMm) {
    const source = offset === 0 ? fitted : nearestNeighbour(slice, offset, fit, fitted);
    for (const [low, high] of windows) {
      const base = channel * plane;
      const scale = 1 / (high - low);
      const mean = normalisation?.mean[channel] ?? 0;
      const std = normalisation?.std[channel] ?? 1;
      for (let i = 0; i < plane; i++) {
        let v = manifest.input.maskOutsideBody && masks && !masks.body[i] ? low : source[i];
        v = v < low ? 0 : v > high ? 1 : (v - low) * scale;
        input[base + i] = (v - mean) / std;
      }
      channel++;
    }
  }
  return { input, dims: [1, channel, size, size], fit, fitted, masks };
}

/** Reads the model's outputs (through the adapter for its format), then score threshold, NMS and the cap on boxes, in the slice's pixels. */
export function readDetections(
  manifest: DetectorManifest,
  prepared: Pick<PreparedInput, 'fit' | 'fitted' | 'masks'>,
  outputs: Record<string, RawTensor>,
  options: DetectionOptions,
): Detection[] {
  const { output, model } = manifest;
  let boxes: (ScoredBox & { detail?: Detection['detail'] })[];
  switch (output.format) {
    case 'boxes-scores':
      boxes = decodeBoxesScores(outputs[model.outputs.boxes!], outputs[model.outputs.scores!]);
      break;
    case 'yolo':
      boxes = decodeYolo(outputs[model.outputs.predictions!], output.classes!, options.scoreThreshold ?? output.scoreThreshold).map((b) => ({
        ...b,
        detail: { classIndex: b.classIndex, className: output.classNames?.[b.classIndex] },
      }));
      break;
    default: {
      const size = manifest.input.size;
      const octaves = model.outputs.octaves!.map((name) => {
        const t = outputs[name];
        if (t.dims.length !== 4 || t.dims[1] !== manifest.input.windows.length * SCALES_PER_OCTAVE) {
          throw new Error(`octave output ${name} has dims [${t.dims.join(', ')}]`);
        }
        return { data: t.data, width: t.dims[3], height: t.dims[2] };
      });
      boxes = detectBlobs({ hu: prepared.fitted, width: size, height: size, masks: prepared.masks! }, octaves, {
        peaksPerScale: 40,
        candidateNmsIou: output.nmsIou,
        maxDetections: output.maxDetections,
        minLungArea: 2000,
      }).map((c) => ({ box: c.box, score: c.score, detail: { channel: CHANNEL_NAMES[c.channel], sigmaPx: round(c.sigma / prepared.fit.scale, 2) } }));
    }
  }
  const threshold = options.scoreThreshold ?? output.scoreThreshold;
  const max = Math.min(options.maxDetections ?? output.maxDetections, output.maxDetections);
  const above = boxes.filter((b) => b.score >= threshold);
  const kept = nonMaximumSuppression(above, output.nmsIou, max).map((i) => above[i]);
  const { scale } = prepared.fit;
  const w = prepared.fit.width / scale;
  const h = prepared.fit.height / scale;
  return kept.map((b) => ({
    box: roundBox(clipBox({ x1: b.box.x1 / scale, y1: b.box.y1 / scale, x2: b.box.x2 / scale, y2: b.box.y2 / scale }, Math.round(w), Math.round(h))),
    score: round(b.score, 4),
    ...(b.detail ? { detail: b.detail } : {}),
  }));
}

export function checkDimensions(image: { width: number; height: number }, manifest: DetectorManifest): void {
  const { minSide, maxSide, maxAspect } = manifest.input;
  const { width, height } = image;
  if (Math.min(width, height) < minSide || Math.max(width, height) > maxSide) {
    throw new InputError(`the slice is ${width}x${height}; the detector ${manifest.name} takes sides of ${minSide} to ${maxSide} pixels`, 422);
  }
  if (Math.max(width, height) / Math.min(width, height) > maxAspect) {
    throw new InputError(`the slice is ${width}x${height}; the detector ${manifest.name} takes slices no more than ${maxAspect}× longer than wide`, 422);
  }
}

/** The neighbour nearest to `offsetMm` (the key slice stands in when none is within half the offset). */
function nearestNeighbour(slice: SliceInput, offsetMm: number, fit: SliceFit, keyFitted: Float32Array): Float32Array {
  let best: { offsetMm: number; image: HuImage } | null = null;
  for (const n of slice.neighbours ?? []) if (!best || Math.abs(n.offsetMm - offsetMm) < Math.abs(best.offsetMm - offsetMm)) best = n;
  if (!best || Math.abs(best.offsetMm - offsetMm) > Math.abs(offsetMm) / 2) return keyFitted;
  return fitSlice(best.image, fit);
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function roundBox(b: Box): Box {
  return { x1: round(b.x1, 1), y1: round(b.y1, 1), x2: round(b.x2, 1), y2: round(b.y2, 1) };
}
