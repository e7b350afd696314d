/**
 * The contract between the service and an encoder model (JSON beside the ONNX file). It says how to
 * cut and scale the input patch, which tensors go in and come out, and how the model's output is
 * combined with the hand-crafted descriptor blocks into the stored embedding. A trained network can
 * replace the default scattering model by shipping its own manifest; the other blocks stay available.
 */
import { checkNormalisation, checkSliceOffsets, checkWindows, headProblems, isFiniteNumber as isNum, manifestObject } from './manifest-checks';

export const MANIFEST_SCHEMA = 'lesion-encoder/v1';

export type DescriptorBlockKind = 'model' | 'hu-histogram' | 'body-position';

export interface DescriptorBlock {
  kind: DescriptorBlockKind;
  /** Scale of the block after L2 normalisation (so cosine similarity weights blocks by weight²). */
  weight: number;
  /** For the model block: lengths of sub-blocks normalised separately (must sum to the output dim). */
  subBlocks?: number[];
}

export interface EncoderManifest {
  schema: typeof MANIFEST_SCHEMA;
  name: string;
  description?: string;
  model: {
    file: string;
    /** Input tensor names: the patch [N, C, size, size] and, optionally, a box mask [N, 1, size, size]. */
    inputs: { patch: string; boxMask?: string | null };
    output: string;
    /** Length of the model output per patch. */
    dim: number;
  };
  input: {
    size: number;
    /** HU windows, each scaled to [0, 1]; one channel per window and slice. */
    windows: [number, number][];
    /** Context square: a fixed size in mm (resampled from the series spacing) or in source pixels. */
    context: { mm: number; fallbackSpacingMm: number } | { px: number };
    /** Slices as offsets from the key slice in mm (0 = key slice only); missing neighbours repeat the key slice. */
    sliceOffsetsMm: number[];
    /** Per-channel normalisation after windowing: none, or (x − mean) / std. */
    normalisation?: { mean: number[]; std: number[] } | null;
    /** DICOM modalities the model takes (default ["CT"]); lesions of other series are stored, not embedded. */
    modalities?: string[];
  };
  descriptor: {
    blocks: DescriptorBlock[];
    /**
     * A linear map fitted on labelled lesions (`npm run train -- projection`), applied to the joined blocks:
     * embedding = weightsᵀ (joined − mean); weights is row-major (joined dim × dims).
     */
    projection?: DescriptorProjection | null;
  };
}

export interface DescriptorProjection {
  method: string;
  dims: number;
  mean: number[];
  weights: number[];
}

export class ManifestError extends Error {}

/** Checks a parsed manifest and returns it typed, or throws ManifestError listing every problem. */
export function validateManifest(raw: unknown): EncoderManifest {
  const m = manifestObject<EncoderManifest>(raw, (message) => new ManifestError(message));
  const problems = headProblems(m, MANIFEST_SCHEMA);
  const model = m.model;
  if (!model?.inputs || typeof model.inputs.patch !== 'string') problems.push('model.inputs.patch must name the patch input');
  if (model?.inputs?.boxMask !== undefined && model.inputs.boxMask !== null && typeof model.inputs.boxMask !== 'string')
    problems.push('model.inputs.boxMask must be a string or null');
  if (typeof model?.output !== 'string') problems.push('model.output must name the output tensor');
  if (!Number.isInteger(model?.dim) || (model?.dim ?? 0) <= 0) problems.push('model.dim must be a positive integer');
  const input = m.input;
  if (!input || !Number.isInteger(input.size) || input.size < 8 || input.size > 1024) problems.push('input.size must be an integer in 8..1024');
  checkWindows(problems, input?.windows);
  const context = input?.context as { mm?: unknown; fallbackSpacingMm?: unknown; px?: unknown } | undefined;
  const contextOk =
    context &&
    ((isNum(context.mm) && context.mm > 0 && isNum(context.fallbackSpacingMm) && context.fallbackSpacingMm > 0) || (isNum(context.px) && context.px > 0));
  if (!contextOk) problems.push('input.context must be {mm, fallbackSpacingMm} or {px}, positive');
  checkSliceOffsets(problems, input?.sliceOffsetsMm);
  if (
    input?.modalities !== undefined &&
    (!Array.isArray(input.modalities) || !input.modalities.length || !input.modalities.every((v) => typeof v === 'string' && /^[A-Z]{2,8}$/.test(v)))
  ) {
    problems.push('input.modalities must be a non-empty list of DICOM modality codes (e.g. ["CT"])');
  }
  checkNormalisation(problems, input);
  const blocks = m.descriptor?.blocks;
  if (!Array.isArray(blocks) || blocks.length === 0) problems.push('descriptor.blocks must list at least one block');
  else {
    if (blocks.filter((b) => b.kind === 'model').length !== 1) problems.push('descriptor.blocks must contain exactly one "model" block');
    for (const block of blocks) {
      if (!['model', 'hu-histogram', 'body-position'].includes(block.kind)) problems.push(`unknown descriptor block kind "${block.kind}"`);
      if (!isNum(block.weight) || block.weight < 0) problems.push(`block ${block.kind}: weight must be a number ≥ 0`);
      if (block.subBlocks !== undefined) {
        if (block.kind !== 'model') problems.push(`block ${block.kind}: only the model block has subBlocks`);
        else if (!block.subBlocks.every((n) => Number.isInteger(n) && n > 0) || block.subBlocks.reduce((a, b) => a + b, 0) !== model?.dim) {
          problems.push('model block subBlocks must be positive integers summing to model.dim');
        }
      }
    }
  }
  const projection = m.descriptor?.projection;
  if (projection !== undefined && projection !== null && !problems.length) {
    const joined = joinedDim(m as EncoderManifest);
    if (typeof projection.method !== 'string' || !Number.isInteger(projection.dims) || projection.dims <= 0)
      problems.push('descriptor.projection needs a method and a positive integer dims');
    else if (!Array.isArray(projection.mean) || projection.mean.length !== joined || !projection.mean.every(isNum))
      problems.push(`descriptor.projection.mean must hold ${joined} numbers (the joined blocks)`);
    else if (!Array.isArray(projection.weights) || projection.weights.length !== joined * projection.dims || !projection.weights.every(isNum)) {
      problems.push(`descriptor.projection.weights must hold ${joined} × ${projection.dims} numbers`);
    }
  }
  if (problems.length) throw new ManifestError(`invalid encoder manifest: ${problems.join('; ')}`);
  return m as EncoderManifest;
}

/** Channels of the model's patch input. */
/** What the model takes when its manifest does not say: CT, as DeepLesion. */
export function manifestModalities(manifest: EncoderManifest): string[] {
  return manifest.input.modalities ?? ['CT'];
}

export function inputChannels(manifest: EncoderManifest): number {
  return manifest.input.windows.length * manifest.input.sliceOffsetsMm.length;
}

/** Length of the stored embedding: the model output plus the hand-crafted blocks. */
export const HAND_CRAFTED_BLOCK_DIMS: Record<Exclude<DescriptorBlockKind, 'model'>, number> = { 'hu-histogram': 64, 'body-position': 169 };

export function embeddingDim(manifest: EncoderManifest): number {
  return manifest.descriptor.projection ? manifest.descriptor.projection.dims : joinedDim(manifest);
}

/** Length of the joined blocks, before any projection. */
export function joinedDim(manifest: EncoderManifest): number {
  return manifest.descriptor.blocks.reduce((n, b) => n + (b.kind === 'model' ? manifest.model.dim : HAND_CRAFTED_BLOCK_DIMS[b.kind]), 0);
}
