import { InputError } from '../common/input-error';
import { Detection, DetectionOptions, PreparedInput, SliceInput } from '../detection-core/detector-io';
import { RawTensor } from '../detection-core/output-adapters';
import { SliceEncoding } from '../imaging/decode-slice';
import { Box, HuImage, HuWindow, PixelSpacing } from '../imaging/hu-image';
import { DetectorManifest } from '../ml/detector-manifest';
import { EncoderManifest } from '../ml/encoder-manifest';
import { PreparedPatch } from '../ml/patch-job';

/** One uploaded file to decode, with how to read it. */
export interface SliceBytes {
  bytes: Uint8Array;
  /** How error messages name the file ("the slice", "the neighbouring slice at 2 mm"); null: no prefix. */
  what: string | null;
}

/** Runs `read` on one file; an input error it throws is named after the file ("the neighbouring slice at 2 mm: …"). */
export function namingTheFile<T>(file: SliceBytes, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof InputError && file.what) throw new InputError(`${file.what}: ${error.message}`, error.status);
    throw error;
  }
}

export interface SliceReadOptions {
  encoding: SliceEncoding;
  /** The HU range of an 8-bit image's grey levels. */
  window: HuWindow | null;
  maxPixels: number;
  /** The caller's spacing (the form's spacingMm): the decoded image carries it, over the file's own. */
  spacing: PixelSpacing | null;
}

/**
 * What a decode worker does with uploaded bytes: decode slices (detection: the key slice and its
 * neighbours), or decode one slice and prepare the encoder's input for a box on it (search by upload).
 */
export type UploadJob =
  | { kind: 'decode'; files: SliceBytes[]; options: SliceReadOptions }
  | { kind: 'embedding-input'; file: SliceBytes; options: SliceReadOptions; box: Box; manifest: EncoderManifest }
  /** The encoder's inputs for boxes on a slice already decoded (detection's findings). */
  | { kind: 'patches'; image: HuImage; boxes: Box[]; manifest: EncoderManifest }
  /** The detector's model input for a slice (and its neighbours). */
  | { kind: 'detector-input'; slice: SliceInput; manifest: DetectorManifest }
  /** The detector's boxes from its model outputs. */
  | {
      kind: 'detections';
      manifest: DetectorManifest;
      prepared: Pick<PreparedInput, 'fit' | 'fitted' | 'masks'>;
      outputs: Record<string, RawTensor>;
      options: DetectionOptions;
    };

export interface DecodedUpload {
  /** With its spacing: the form's, else the file's, else null. */
  image: HuImage;
  source: 'png16' | 'gray8' | 'dicom';
}

export type UploadJobResult =
  | { ok: true; kind: 'decode'; slices: DecodedUpload[] }
  | {
      ok: true;
      kind: 'embedding-input';
      width: number;
      height: number;
      source: DecodedUpload['source'];
      /** The spacing the patch was prepared with: the form's, else the file's, else null. */
      spacing: PixelSpacing | null;
      prepared: PreparedPatch;
    }
  | { ok: true; kind: 'patches'; prepared: PreparedPatch[] }
  | { ok: true; kind: 'detector-input'; prepared: PreparedInput }
  | { ok: true; kind: 'detections'; detections: Detection[] }
  /** A client error (400/415/422) with its message, or an internal failure (500, logged, message hidden). */
  | { ok: false; status: 400 | 415 | 422 | 500; message: string };

/** The buffers a result can hand over without copying (each once: a neighbour may be the key slice). */
export function transferablesOf(result: UploadJobResult): ArrayBuffer[] {
  if (!result.ok) return [];
  const patchArrays = (p: PreparedPatch) => [p.patch, p.boxMask, p.histogram, p.position];
  const arrays: ArrayBufferView[] =
    result.kind === 'decode'
      ? result.slices.map((s) => s.image.data)
      : result.kind === 'patches'
        ? result.prepared.flatMap(patchArrays)
        : result.kind === 'embedding-input'
          ? patchArrays(result.prepared)
          : result.kind === 'detector-input'
            ? [result.prepared.input, result.prepared.fitted, ...maskArrays(result.prepared.masks)]
            : [];
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

function maskArrays(masks: PreparedInput['masks']): ArrayBufferView[] {
  return masks ? Object.values(masks).filter((value): value is ArrayBufferView => ArrayBuffer.isView(value)) : [];
}
