import { HuImage } from '../imaging/hu-image';

/** How a slice was placed into the model's square input: scaled by `scale`, top-left aligned, padded. */
export interface SliceFit {
  size: number;
  scale: number;
  /** Scaled width and height (≤ size). */
  width: number;
  height: number;
}

/**
 * The scale that brings the slice to the model: by the slice's column spacing when it and the target are
 * known (one scale for both axes), else the longer side to `size`; never past `size`.
 */
export function planFit(image: Pick<HuImage, 'width' | 'height' | 'spacing'>, size: number, targetSpacingMm: number | null): SliceFit {
  const byside = size / Math.max(image.width, image.height);
  const scale = image.spacing && targetSpacingMm ? Math.min(image.spacing.x / targetSpacingMm, byside) : byside;
  return { size, scale, width: Math.min(size, Math.round(image.width * scale)), height: Math.min(size, Math.round(image.height * scale)) };
}

/**
 * Bilinear resampling of the slice into a size × size canvas (pixel centres aligned), padding with
 * `padHu` (air). Identity (a copy) when the slice already is size × size at scale 1.
 */
export function fitSlice(image: HuImage, fit: SliceFit, padHu = -1024): Float32Array {
  const { size, scale } = fit;
  const out = new Float32Array(size * size).fill(padHu);
  if (scale === 1) {
    for (let y = 0; y < Math.min(size, image.height); y++)
      out.set(image.data.subarray(y * image.width, y * image.width + Math.min(size, image.width)), y * size);
    return out;
  }
  const { width: w, height: h, data } = image;
  for (let y = 0; y < fit.height; y++) {
    const sy = Math.min(h - 1, Math.max(0, (y + 0.5) / scale - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(h - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < fit.width; x++) {
      const sx = Math.min(w - 1, Math.max(0, (x + 0.5) / scale - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(w - 1, x0 + 1);
      const fx = sx - x0;
      const top = data[y0 * w + x0] * (1 - fx) + data[y0 * w + x1] * fx;
      const bottom = data[y1 * w + x0] * (1 - fx) + data[y1 * w + x1] * fx;
      out[y * size + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
