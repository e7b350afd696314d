import { Box, HuImage } from '../../imaging/hu-image';

// Module-level copies: jest's vm context makes global lookups in pixel loops slow.
const { exp, floor, max, min } = Math;

export interface ScatteringInputOptions {
  /** Side of the context square around the box centre, in source pixels (120 by default). */
  contextPx: number;
  /** Its height in source pixels when rows and columns have different spacing (default: contextPx). */
  contextPxY?: number;
  /** Side of the resampled patch (64 by default). */
  size: number;
  /** HU windows [low, high], each scaled to [0, 1] and clipped: one channel per window. */
  windows: [number, number][];
}

export const DEFAULT_SCATTERING_INPUT: ScatteringInputOptions = {
  contextPx: 120,
  size: 64,
  windows: [
    [-1350, 150], // lung
    [-160, 240], // soft tissue
    [-500, 1300], // bone
  ],
};

/**
 * The largest context square in source pixels: 120 mm at the smallest plausible spacing (0.05 mm) is
 * 2,400; this also bounds the blur kernel (sigma ≤ (MAX_CONTEXT_PX / size − 1) / 2).
 */
export const MAX_CONTEXT_PX = 16_384;

/** Box half-sides in the patch are at least this many patch pixels, so tiny boxes still pool something. */
export const MIN_BOX_HALF_SIDE = 2;

export interface ScatteringInputs {
  /** [windows, size, size] row-major, values in [0, 1]. */
  patch: Float32Array;
  /** [size, size]: 1 for patch pixels whose centre lies in the box, else 0. */
  boxMask: Float32Array;
}

/**
 * The scattering model's inputs for one lesion: the `contextPx` square centred on the box, blurred
 * with a Gaussian of sigma (contextPx/size − 1)/2 (anti-aliasing before the downscale; truncated at
 * 4 sigma, half-sample-symmetric borders) and resampled bilinearly at the patch pixel centres with
 * edge replication; then one clipped [0, 1] channel per HU window. Only the blurred pixels that the
 * resampling reads are computed.
 */
export function scatteringInputs(image: HuImage, box: Box, options: ScatteringInputOptions = DEFAULT_SCATTERING_INPUT): ScatteringInputs {
  const { contextPx, size, windows } = options;
  const contextPxY = options.contextPxY ?? contextPx;
  if (!(contextPx > 0 && contextPx <= MAX_CONTEXT_PX && contextPxY > 0 && contextPxY <= MAX_CONTEXT_PX)) {
    throw new RangeError(`context ${contextPx}x${contextPxY} px is outside 0 to ${MAX_CONTEXT_PX} (an implausible pixel spacing?)`);
  }
  const { width, height } = image;
  const scaleX = contextPx / size;
  const scaleY = contextPxY / size;
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  // Patch pixel k samples source position centre + (k + 0.5)·scale − context/2, in index space (−0.5).
  const sampleX = (k: number) => cx + (k + 0.5) * scaleX - contextPx / 2 - 0.5;
  const sampleY = (k: number) => cy + (k + 0.5) * scaleY - contextPxY / 2 - 0.5;
  const clampTo = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);

  const x0 = floor(clampTo(sampleX(0), width - 1));
  const x1 = min(floor(clampTo(sampleX(size - 1), width - 1)) + 1, width - 1);
  const y0 = floor(clampTo(sampleY(0), height - 1));
  const y1 = min(floor(clampTo(sampleY(size - 1), height - 1)) + 1, height - 1);
  const blurred = blurRegion(image, x0, y0, x1, y1, (scaleX - 1) / 2, (scaleY - 1) / 2);
  const regionWidth = x1 - x0 + 1;

  const plane = size * size;
  const patch = new Float32Array(windows.length * plane);
  for (let oy = 0; oy < size; oy++) {
    const sy = clampTo(sampleY(oy), height - 1);
    const ya = floor(sy);
    const yb = min(ya + 1, height - 1);
    const fy = sy - ya;
    for (let ox = 0; ox < size; ox++) {
      const sx = clampTo(sampleX(ox), width - 1);
      const xa = floor(sx);
      const xb = min(xa + 1, width - 1);
      const fx = sx - xa;
      const rowA = (ya - y0) * regionWidth - x0;
      const rowB = (yb - y0) * regionWidth - x0;
      const top = blurred[rowA + xa] * (1 - fx) + blurred[rowA + xb] * fx;
      const bottom = blurred[rowB + xa] * (1 - fx) + blurred[rowB + xb] * fx;
      const hu = top * (1 - fy) + bottom * fy;
      for (let w = 0; w < windows.length; w++) {
        const [low, high] = windows[w];
        const v = (hu - low) / (high - low);
        patch[w * plane + oy * size + ox] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
  return { patch, boxMask: boxMaskInPatch(box, contextPx, size, contextPxY) };
}

/** Binary mask of the box in patch coordinates (the patch is centred on the box). */
export function boxMaskInPatch(box: Box, contextPx: number, size: number, contextPxY = contextPx): Float32Array {
  const halfWidth = max((box.x2 - box.x1) / 2 / (contextPx / size), MIN_BOX_HALF_SIDE);
  const halfHeight = max((box.y2 - box.y1) / 2 / (contextPxY / size), MIN_BOX_HALF_SIDE);
  const centre = size / 2;
  const mask = new Float32Array(size * size);
  for (let r = 0; r < size; r++) {
    const dy = r + 0.5 - centre;
    if (dy > halfHeight || -dy > halfHeight) continue;
    for (let c = 0; c < size; c++) {
      const dx = c + 0.5 - centre;
      if (dx <= halfWidth && -dx <= halfWidth) mask[r * size + c] = 1;
    }
  }
  return mask;
}

/**
 * Gaussian blur of rows y0..y1 × columns x0..x1 of the whole image (as if the whole slice were
 * blurred, so borders reflect about the image edge: d c b a | a b c d). Separable, rows first.
 */
function blurRegion(image: HuImage, x0: number, y0: number, x1: number, y1: number, sigmaX: number, sigmaY: number): Float32Array {
  const { width, height, data } = image;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const out = new Float32Array(w * h);
  // A sigma ≤ 0 (upsampling along that axis) means no blur: a one-tap kernel.
  const weightsY = gaussianWeights(sigmaY);
  const weightsX = gaussianWeights(sigmaX);
  const radiusY = (weightsY.length - 1) / 2;
  const radiusX = (weightsX.length - 1) / 2;

  // Vertical pass over the columns the horizontal pass will read.
  const cols = new Int32Array(w + 2 * radiusX);
  for (let i = 0; i < cols.length; i++) cols[i] = reflectIndex(x0 - radiusX + i, width);
  const vertical = new Float64Array(h * cols.length);
  for (let r = 0; r < h; r++) {
    for (let k = -radiusY; k <= radiusY; k++) {
      const row = reflectIndex(y0 + r + k, height) * width;
      const wk = weightsY[k + radiusY];
      const base = r * cols.length;
      for (let i = 0; i < cols.length; i++) vertical[base + i] += wk * data[row + cols[i]];
    }
  }
  for (let r = 0; r < h; r++) {
    const base = r * cols.length;
    for (let c = 0; c < w; c++) {
      let s = 0;
      for (let k = 0; k < weightsX.length; k++) s += weightsX[k] * vertical[base + c + k];
      out[r * w + c] = s;
    }
  }
  return out;
}

/** Normalised Gaussian taps truncated at 4 sigma; [1] for sigma ≤ 0. Refuses a sigma no context allows. */
function gaussianWeights(sigma: number): Float64Array {
  if (!(sigma > 0)) return Float64Array.of(1);
  if (!(sigma <= MAX_CONTEXT_PX)) throw new RangeError(`blur sigma ${sigma} is out of range`);
  const radius = floor(4 * sigma + 0.5);
  const weights = new Float64Array(2 * radius + 1);
  let total = 0;
  for (let k = -radius; k <= radius; k++) total += weights[k + radius] = exp((-0.5 * k * k) / (sigma * sigma));
  for (let k = 0; k < weights.length; k++) weights[k] /= total;
  return weights;
}

/** Half-sample-symmetric reflection (scipy.ndimage 'reflect'): −1 → 0, n → n − 1. */
function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}
