import { Box, HuImage } from '../../imaging/hu-image';
import { l2Normalise } from './combine';

const { abs, ceil, floor, max, min, sqrt } = Math;

export const HU_HISTOGRAM_BINS = 32;
export const HU_HISTOGRAM_RANGE: [number, number] = [-1024, 1500];
/** Side of the square around the box centre whose pixels outside the box form the ring. */
export const HU_HISTOGRAM_CONTEXT_PX = 120;
/** Fewer box pixels than this: use the pixels within 2 px of the box centre instead. */
const MIN_BOX_PIXELS = 4;
const FALLBACK_HALF_SIDE = 2;

/**
 * HU histograms of the lesion and its surroundings, at native resolution: [box (32), ring (32)].
 * Box = pixels whose centres (i + 0.5) lie in the box, borders included (fewer than 4: the pixels
 * within 2 px of the box centre); ring = pixels of the 120 px square centred on the box centre that
 * are not box pixels. 32 bins over [−1024, 1500) HU
 * (higher values go to the last bin, lower to the first); each half is sqrt(counts), L2-normalised.
 */
export function huHistogramBlock(image: HuImage, box: Box, contextPx = HU_HISTOGRAM_CONTEXT_PX): Float32Array {
  const { width, height, data } = image;
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  let inBox = (x: number, y: number) => x + 0.5 >= box.x1 && x + 0.5 <= box.x2 && y + 0.5 >= box.y1 && y + 0.5 <= box.y2;
  let boxRegion = pixelRange(box.x1, box.y1, box.x2, box.y2, width, height);
  if (countPixels(boxRegion, inBox) < MIN_BOX_PIXELS) {
    inBox = (x, y) => abs(x + 0.5 - cx) <= FALLBACK_HALF_SIDE && abs(y + 0.5 - cy) <= FALLBACK_HALF_SIDE;
    boxRegion = pixelRange(cx - FALLBACK_HALF_SIDE, cy - FALLBACK_HALF_SIDE, cx + FALLBACK_HALF_SIDE, cy + FALLBACK_HALF_SIDE, width, height);
  }
  const half = contextPx / 2;
  const inContext = (x: number, y: number) => abs(x + 0.5 - cx) <= half && abs(y + 0.5 - cy) <= half;
  const contextRegion = pixelRange(cx - half, cy - half, cx + half, cy + half, width, height);

  const boxCounts = new Float64Array(HU_HISTOGRAM_BINS);
  const ringCounts = new Float64Array(HU_HISTOGRAM_BINS);
  const [x0, y0, x1, y1] = boxRegion;
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (inBox(x, y)) boxCounts[huBin(data[y * width + x])]++;
  const [cx0, cy0, cx1, cy1] = contextRegion;
  for (let y = cy0; y <= cy1; y++) {
    for (let x = cx0; x <= cx1; x++) if (inContext(x, y) && !inBox(x, y)) ringCounts[huBin(data[y * width + x])]++;
  }
  const out = new Float32Array(2 * HU_HISTOGRAM_BINS);
  out.set(l2Normalise(boxCounts.map(sqrt)), 0);
  out.set(l2Normalise(ringCounts.map(sqrt)), HU_HISTOGRAM_BINS);
  return out;
}

/** The histogram bin of an HU value (clipped into the range). */
export function huBin(hu: number): number {
  const [lo, hi] = HU_HISTOGRAM_RANGE;
  const bin = floor(((hu - lo) * HU_HISTOGRAM_BINS) / (hi - lo));
  return bin < 0 ? 0 : bin >= HU_HISTOGRAM_BINS ? HU_HISTOGRAM_BINS - 1 : bin;
}

/** Inclusive pixel index range [x0, y0, x1, y1] that can hold pixel centres within the given bounds (one spare pixel each side). */
function pixelRange(xa: number, ya: number, xb: number, yb: number, width: number, height: number): [number, number, number, number] {
  return [max(0, floor(xa) - 1), max(0, floor(ya) - 1), min(width - 1, ceil(xb)), min(height - 1, ceil(yb))];
}

function countPixels([x0, y0, x1, y1]: [number, number, number, number], inside: (x: number, y: number) => boolean): number {
  let n = 0;
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (inside(x, y)) n++;
  return n;
}
