import { Box, HuImage } from '../../imaging/hu-image';
import { l2Normalise } from './combine';

const { exp } = Math;

/** Pixels above this HU count as body (air and lung-free background fall below). */
export const BODY_HU_THRESHOLD = -500;
/** Opening iterations with the 4-neighbour cross (removes the table and thin noise). */
const OPENING_ITERATIONS = 2;
export const POSITION_GRID_SIZE = 13;
const POSITION_GRID_LOW = -0.1;
const POSITION_GRID_HIGH = 1.1;
export const POSITION_SIGMA = 0.12;

/** [xmin, ymin, xmax + 1, ymax + 1] of the body in pixels. */
export type BodyBox = [number, number, number, number];

/**
 * The body's bounding box: HU > −500, binary opening with the 4-neighbour cross (2 erosions, then 2
 * dilations; outside the image counts as background), then the largest 4-connected component (the
 * first in raster order on a tie). A slice with no body gives the whole image.
 */
export function bodyBoundingBox(image: HuImage): BodyBox {
  const { width, height } = image;
  let mask = thresholdBits(image, BODY_HU_THRESHOLD);
  for (let k = 0; k < OPENING_ITERATIONS; k++) mask = crossMorphology(mask, 'erode');
  for (let k = 0; k < OPENING_ITERATIONS; k++) mask = crossMorphology(mask, 'dilate');
  return largestComponentBox(mask) ?? [0, 0, width, height];
}

/** Where the box centre lies in the body box, (u, v) in [0, 1] inside it. */
export function positionInBody(body: BodyBox, box: Box): { u: number; v: number } {
  const [bx0, by0, bx1, by1] = body;
  return { u: ((box.x1 + box.x2) / 2 - bx0) / (bx1 - bx0), v: ((box.y1 + box.y2) / 2 - by0) / (by1 - by0) };
}

/** Gaussian bumps (sigma 0.12) at (u, v) on a 13×13 grid over [−0.1, 1.1]² (u index major), L2-normalised. */
export function positionBumps(u: number, v: number): Float32Array {
  const n = POSITION_GRID_SIZE;
  const step = (POSITION_GRID_HIGH - POSITION_GRID_LOW) / (n - 1);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const du = POSITION_GRID_LOW + i * step - u;
    for (let j = 0; j < n; j++) {
      const dv = POSITION_GRID_LOW + j * step - v;
      out[i * n + j] = exp(-(du * du + dv * dv) / (2 * POSITION_SIGMA * POSITION_SIGMA));
    }
  }
  return Float32Array.from(l2Normalise(out));
}

/** The body-position block (169 values). For many lesions on one slice, compute `bodyBoundingBox` once and use `positionBumps`. */
export function bodyPositionBlock(image: HuImage, box: Box): Float32Array {
  const { u, v } = positionInBody(bodyBoundingBox(image), box);
  return positionBumps(u, v);
}

/**
 * A binary image packed 32 pixels per word, each row starting on a word boundary: bit k of word j
 * in row y is pixel x = 32·j + k. Bits past the image width stay zero.
 */
interface BitImage {
  width: number;
  height: number;
  wordsPerRow: number;
  bits: Uint32Array;
}

function thresholdBits({ width, height, data }: HuImage, threshold: number): BitImage {
  const wordsPerRow = (width + 31) >>> 5;
  const bits = new Uint32Array(wordsPerRow * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const wordRow = y * wordsPerRow;
    for (let x = 0; x < width; x++) if (data[row + x] > threshold) bits[wordRow + (x >>> 5)] |= 1 << (x & 31);
  }
  return { width, height, wordsPerRow, bits };
}

/**
 * One erosion or dilation with the 3×3 cross, 32 pixels at a time; pixels outside the image are
 * background (so erosion clears the border).
 */
function crossMorphology(image: BitImage, op: 'erode' | 'dilate'): BitImage {
  const { width, height, wordsPerRow, bits } = image;
  const out = new Uint32Array(bits.length);
  const lastWordMask = width % 32 === 0 ? 0xffffffff : (1 << (width % 32)) - 1;
  for (let y = 0; y < height; y++) {
    const row = y * wordsPerRow;
    for (let j = 0; j < wordsPerRow; j++) {
      const i = row + j;
      const word = bits[i];
      const left = (word << 1) | (j > 0 ? bits[i - 1] >>> 31 : 0); // bit k holds pixel x − 1
      const right = (word >>> 1) | (j < wordsPerRow - 1 ? bits[i + 1] << 31 : 0); // pixel x + 1 (padding bits are 0)
      const up = y > 0 ? bits[i - wordsPerRow] : 0;
      const down = y < height - 1 ? bits[i + wordsPerRow] : 0;
      let v = op === 'erode' ? word & left & right & up & down : word | left | right | up | down;
      // Dilation must not spill into the padding bits past the width (they read as outside).
      if (j === wordsPerRow - 1) v &= lastWordMask;
      out[i] = v;
    }
  }
  return { width, height, wordsPerRow, bits: out };
}

/**
 * Bounding box of the largest 4-connected component, or null when the mask is empty. Works on
 * row runs: runs of adjacent rows that share a column are joined (union–find whose root is the
 * run met first in raster order, which breaks size ties the way raster-order labelling does).
 */
function largestComponentBox({ width, height, wordsPerRow, bits }: BitImage): BodyBox | null {
  const runRow: number[] = [];
  const runStart: number[] = [];
  const runEnd: number[] = []; // exclusive
  const parent: number[] = [];
  const find = (r: number): number => {
    while (parent[r] !== r) r = parent[r] = parent[parent[r]];
    return r;
  };
  let previousFirst = 0;
  let previousEnd = 0;
  for (let y = 0; y < height; y++) {
    const first = runRow.length;
    const row = y * wordsPerRow;
    const isSet = (x: number) => (bits[row + (x >>> 5)] >>> (x & 31)) & 1;
    for (let x = 0; x < width;) {
      // Empty words are skipped whole, full words taken whole.
      if ((x & 31) === 0 && bits[row + (x >>> 5)] === 0) {
        x += 32;
        continue;
      }
      if (!isSet(x)) {
        x++;
        continue;
      }
      const start = x;
      while (x < width) {
        if ((x & 31) === 0 && x + 32 <= width && bits[row + (x >>> 5)] === 0xffffffff) x += 32;
        else if (isSet(x)) x++;
        else break;
      }
      parent.push(runRow.length);
      runRow.push(y);
      runStart.push(start);
      runEnd.push(x);
    }
    // Join with overlapping runs of the previous row (both lists are sorted by start).
    let p = previousFirst;
    for (let r = first; r < runRow.length; r++) {
      while (p < previousEnd && runEnd[p] <= runStart[r]) p++;
      for (let q = p; q < previousEnd && runStart[q] < runEnd[r]; q++) {
        const a = find(q);
        const b = find(r);
        if (a !== b) parent[a < b ? b : a] = a < b ? a : b;
      }
    }
    previousFirst = first;
    previousEnd = runRow.length;
  }
  if (!runRow.length) return null;
  const size = new Float64Array(runRow.length);
  const box = new Int32Array(4 * runRow.length);
  for (let r = 0; r < runRow.length; r++) {
    const root = find(r);
    if (size[root] === 0) box.set([width, height, -1, -1], 4 * root);
    size[root] += runEnd[r] - runStart[r];
    const b = 4 * root;
    if (runStart[r] < box[b]) box[b] = runStart[r];
    if (runRow[r] < box[b + 1]) box[b + 1] = runRow[r];
    if (runEnd[r] > box[b + 2]) box[b + 2] = runEnd[r];
    if (runRow[r] + 1 > box[b + 3]) box[b + 3] = runRow[r] + 1;
  }
  let best = 0;
  for (let r = 1; r < runRow.length; r++) if (size[r] > size[best]) best = r;
  return [box[4 * best], box[4 * best + 1], box[4 * best + 2], box[4 * best + 3]];
}
