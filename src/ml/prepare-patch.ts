import { Box, HuImage, PixelSpacing } from '../imaging/hu-image';
import { bodyPositionBlock } from './descriptor/body-position';
import { huHistogramBlock } from './descriptor/hu-histogram';
import { scatteringInputs } from './descriptor/scattering-inputs';
import { EncoderManifest } from './encoder-manifest';
import { PreparedPatch } from './patch-job';

export interface PatchSource {
  key: number;
  /** One slice per `sliceOffsetsMm` entry (the key slice where a neighbour is missing); the key slice's spacing sizes the context. */
  slices: HuImage[];
  box: Box;
}

/**
 * The context square in source pixels, per axis: a fixed size in mm through the column and row
 * spacing (a rectangle of pixels when they differ; the manifest's fallback spacing when unknown), or a
 * fixed number of pixels. The spacing was held to the plausible range where it entered (pixelSpacing).
 */
export function contextPixels(manifest: EncoderManifest, spacing: PixelSpacing | null): { x: number; y: number } {
  const context = manifest.input.context;
  if ('px' in context) return { x: context.px, y: context.px };
  if (!spacing) return { x: context.mm / context.fallbackSpacingMm, y: context.mm / context.fallbackSpacingMm };
  return { x: context.mm / spacing.x, y: context.mm / spacing.y };
}

/** The model input for one lesion (windows × slices channels) plus its hand-crafted blocks. Pure. */
export function preparePatch(manifest: EncoderManifest, source: PatchSource): PreparedPatch {
  const { size, windows, sliceOffsetsMm, normalisation } = manifest.input;
  if (source.slices.length !== sliceOffsetsMm.length) throw new Error(`expected ${sliceOffsetsMm.length} slices, got ${source.slices.length}`);
  const plane = size * size;
  const keyIndex = Math.max(0, sliceOffsetsMm.indexOf(0));
  const context = contextPixels(manifest, source.slices[keyIndex].spacing);
  const patch = new Float32Array(windows.length * sliceOffsetsMm.length * plane);
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
