import { Box, HuImage, plausibleSpacingMm } from '../imaging/hu-image';
import { bodyPositionBlock } from './descriptor/body-position';
import { huHistogramBlock } from './descriptor/hu-histogram';
import { scatteringInputs } from './descriptor/scattering-inputs';
import { EncoderManifest } from './encoder-manifest';
import { PreparedPatch } from './patch-job';

export interface PatchSource {
  key: number;
  /** One slice per `sliceOffsetsMm` entry (the key slice where a neighbour is missing). */
  slices: HuImage[];
  box: Box;
  /** Column (x) and row (y) pixel spacing in mm; null when unknown. */
  spacingMm: number | null;
  spacingYmm?: number | null;
}

/**
 * The context square in source pixels, per axis: a fixed size in mm through the column and row
 * spacing (a rectangle of pixels when they differ), or a fixed number of pixels. Spacings are clamped
 * to the plausible range (callers validate them; this keeps any spacing from asking for a huge square).
 */
export function contextPixels(manifest: EncoderManifest, spacingMm: number | null, spacingYmm: number | null = spacingMm): { x: number; y: number } {
  const context = manifest.input.context;
  if ('px' in context) return { x: context.px, y: context.px };
  const pixels = (spacing: number | null) => context.mm / (plausibleSpacingMm(spacing) ?? context.fallbackSpacingMm);
  return { x: pixels(spacingMm), y: pixels(spacingYmm ?? spacingMm) };
}

/** The model input for one lesion (windows × slices channels) plus its hand-crafted blocks. Pure. */
export function preparePatch(manifest: EncoderManifest, source: PatchSource): PreparedPatch {
  const { size, windows, sliceOffsetsMm, normalisation } = manifest.input;
  if (source.slices.length !== sliceOffsetsMm.length) throw new Error(`expected ${sliceOffsetsMm.length} slices, got ${source.slices.length}`);
  const plane = size * size;
  const context = contextPixels(manifest, source.spacingMm, source.spacingYmm ?? source.spacingMm);
  const patch = new Float32Array(windows.length * sliceOffsetsMm.length * plane);
  const keyIndex = Math.max(0, sliceOffsetsMm.indexOf(0));
  let boxMask: Float32Array = new Float32Array(plane);
  source.slices.forEach((slice, s) => {
    const inputs = scatteringInputs(slice, source.box, { contextPx: context.x, contextPxY: context.y, size, windows });
    patch.set(inputs.patch, s * windows.length * plane);
    if (s === keyIndex) boxMask = inputs.boxMask;
  });
  if (normalisation) {
    for (let c = 0; c < normalisation.mean.length; c++) {
      const mean = normalisation.mean[c];
      const std = normalisation.std[c];
      for (let i = c * plane; i < (c + 1) * plane; i++) patch[i] = (patch[i] - mean) / std;
    }
  }
  const key = source.slices[keyIndex];
  return { key: source.key, patch, boxMask, histogram: huHistogramBlock(key, source.box, context.x), position: bodyPositionBlock(key, source.box) };
}
