import { Box, HuImage } from '../imaging/hu-image';
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
  spacingMm: number | null;
}

/** Context square side in source pixels: fixed mm through the spacing, or fixed pixels. */
export function contextPixels(manifest: EncoderManifest, spacingMm: number | null): number {
  const context = manifest.input.context;
  return 'px' in context ? context.px : context.mm / (spacingMm && spacingMm > 0 ? spacingMm : context.fallbackSpacingMm);
}

/** The model input for one lesion (windows × slices channels) plus its hand-crafted blocks. Pure. */
export function preparePatch(manifest: EncoderManifest, source: PatchSource): PreparedPatch {
  const { size, windows, sliceOffsetsMm, normalisation } = manifest.input;
  if (source.slices.length !== sliceOffsetsMm.length) throw new Error(`expected ${sliceOffsetsMm.length} slices, got ${source.slices.length}`);
  const plane = size * size;
  const contextPx = contextPixels(manifest, source.spacingMm);
  const patch = new Float32Array(windows.length * sliceOffsetsMm.length * plane);
  const keyIndex = Math.max(0, sliceOffsetsMm.indexOf(0));
  let boxMask: Float32Array = new Float32Array(plane);
  source.slices.forEach((slice, s) => {
    const inputs = scatteringInputs(slice, source.box, { contextPx, size, windows });
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
  return { key: source.key, patch, boxMask, histogram: huHistogramBlock(key, source.box, contextPx), position: bodyPositionBlock(key, source.box) };
}
