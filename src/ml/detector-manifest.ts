/**
 * The contract between the service and a detector model (manifest.json beside the ONNX file): how the
 * slice is turned into the input tensor, which tensors come out and how to read them. A trained
 * DeepLesion detector replaces the default one by shipping its own folder and manifest.
 */
import { checkNormalisation, checkSliceOffsets, checkWindows, headProblems, isFiniteNumber as isNum, manifestObject } from './manifest-checks';

export const DETECTOR_MANIFEST_SCHEMA = 'lesion-detector/v1';

/**
 * - `boxes-scores`: `boxes` [N, 4] (or [1, N, 4]) x1,y1,x2,y2 in input pixels, `scores` [N] (or [1, N]).
 * - `yolo`: one tensor [1, 4 + classes, anchors]: cx, cy, w, h in input pixels, then class scores.
 * - `blob-scale-space`: the default detector's difference-of-Gaussians octaves, read by the
 *   TypeScript candidate stage (peaks, contrast scoring, box refinement).
 */
export type DetectorOutputFormat = 'boxes-scores' | 'yolo' | 'blob-scale-space';
export const DETECTOR_OUTPUT_FORMATS: readonly DetectorOutputFormat[] = ['boxes-scores', 'yolo', 'blob-scale-space'];

export interface DetectorManifest {
  schema: typeof DETECTOR_MANIFEST_SCHEMA;
  name: string;
  description?: string;
  model: {
    file: string;
    input: string;
    /** boxes-scores: { boxes, scores }; yolo: { predictions }; blob-scale-space: { octaves: [names] }. */
    outputs: { boxes?: string; scores?: string; predictions?: string; octaves?: string[] };
  };
  input: {
    /** The input is [1, windows × slices, size, size]; the slice is scaled (and padded) to fit. */
    size: number;
    /** HU windows, each scaled to [0, 1]. */
    windows: [number, number][];
    /** Neighbouring slices as offsets in mm from the key slice (0 = key slice only); missing ones repeat the key slice. */
    sliceOffsetsMm: number[];
    /** Resample to this pixel spacing before fitting (null: scale the longer side to `size`). */
    spacingMm: number | null;
    /** Set pixels outside the body outline to each window's low end (the default detector). */
    maskOutsideBody?: boolean;
    /** Per-channel normalisation after windowing: none, or (x − mean) / std. */
    normalisation?: { mean: number[]; std: number[] } | null;
    /** Accepted slice sides in pixels, before scaling. */
    minSide: number;
    maxSide: number;
    /** Largest accepted ratio of the longer to the shorter side. */
    maxAspect: number;
  };
  output: {
    format: DetectorOutputFormat;
    /** YOLO: the number of classes after the 4 box rows; class names optional. */
    classes?: number;
    classNames?: string[];
    scoreThreshold: number;
    nmsIou: number;
    maxDetections: number;
  };
}

export class DetectorManifestError extends Error {}

export function validateDetectorManifest(raw: unknown): DetectorManifest {
  const m = manifestObject<DetectorManifest>(raw, (message) => new DetectorManifestError(message));
  const problems = headProblems(m, DETECTOR_MANIFEST_SCHEMA);
  const model = m.model;
  if (typeof model?.input !== 'string') problems.push('model.input must name the input tensor');
  const input = m.input;
  if (!input || !Number.isInteger(input.size) || input.size < 16 || input.size > 4096) problems.push('input.size must be an integer in 16..4096');
  checkWindows(problems, input?.windows);
  checkSliceOffsets(problems, input?.sliceOffsetsMm);
  if (input && input.spacingMm !== null && !(isNum(input.spacingMm) && input.spacingMm > 0)) problems.push('input.spacingMm must be a positive number or null');
  if (!input || !Number.isInteger(input.minSide) || !Number.isInteger(input.maxSide) || input.minSide < 16 || input.maxSide < input.minSide)
    problems.push('input.minSide and input.maxSide must be integers with 16 ≤ minSide ≤ maxSide');
  if (!input || !isNum(input.maxAspect) || input.maxAspect < 1) problems.push('input.maxAspect must be a number ≥ 1');
  checkNormalisation(problems, input);
  const output = m.output;
  if (!output || !DETECTOR_OUTPUT_FORMATS.includes(output.format)) problems.push(`output.format must be one of ${DETECTOR_OUTPUT_FORMATS.join(', ')}`);
  else if (output.format === 'boxes-scores' && (typeof model?.outputs?.boxes !== 'string' || typeof model?.outputs?.scores !== 'string'))
    problems.push('boxes-scores needs model.outputs.boxes and model.outputs.scores');
  else if (output.format === 'yolo') {
    if (typeof model?.outputs?.predictions !== 'string') problems.push('yolo needs model.outputs.predictions');
    if (!Number.isInteger(output.classes) || (output.classes ?? 0) < 1) problems.push('yolo needs output.classes ≥ 1');
  } else if (output.format === 'blob-scale-space' && (!Array.isArray(model?.outputs?.octaves) || !model.outputs.octaves.length))
    problems.push('blob-scale-space needs model.outputs.octaves');
  if (output && !(isNum(output.scoreThreshold) && output.scoreThreshold >= 0)) problems.push('output.scoreThreshold must be a number ≥ 0');
  if (output && !(isNum(output.nmsIou) && output.nmsIou > 0 && output.nmsIou <= 1)) problems.push('output.nmsIou must be in (0, 1]');
  if (output && !(Number.isInteger(output.maxDetections) && output.maxDetections >= 1 && output.maxDetections <= 1000))
    problems.push('output.maxDetections must be an integer in 1..1000');
  if (problems.length) throw new DetectorManifestError(`invalid detector manifest: ${problems.join('; ')}`);
  return m as DetectorManifest;
}

/** The ONNX output names the manifest expects. */
export function expectedOutputs(manifest: DetectorManifest): string[] {
  const o = manifest.model.outputs;
  switch (manifest.output.format) {
    case 'boxes-scores':
      return [o.boxes!, o.scores!];
    case 'yolo':
      return [o.predictions!];
    default:
      return [...o.octaves!];
  }
}
