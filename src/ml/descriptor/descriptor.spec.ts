import { HuImage } from '../../imaging/hu-image';
import { Prng } from '../../sample/prng';
import { bodyBoundingBox, bodyPositionBlock, positionBumps, positionInBody } from './body-position';
import { combineBlocks, l2Normalise } from './combine';
import { HU_HISTOGRAM_BINS, huBin, huHistogramBlock } from './hu-histogram';
import { boxMaskInPatch, scatteringInputs } from './scattering-inputs';

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

function image(width: number, height: number, hu: (x: number, y: number) => number): HuImage {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = hu(x, y);
  return { width, height, data, spacing: null };
}

describe('huHistogramBlock', () => {
  it('puts a uniform box in its bin and the ring around it in another', () => {
    // 40 HU inside the box (x, y in 100..119), −900 HU elsewhere.
    const img = image(256, 256, (x, y) => (x >= 100 && x < 120 && y >= 100 && y < 120 ? 40 : -900));
    const h = huHistogramBlock(img, { x1: 100, y1: 100, x2: 120, y2: 120 });
    expect(h.length).toBe(64);
    const boxBin = huBin(40);
    expect(boxBin).toBe(Math.floor(((40 + 1024) * 32) / 2524));
    expect(h[boxBin]).toBeCloseTo(1, 6);
    // The ring excludes the box: only the −900 HU bin is filled.
    expect(h[HU_HISTOGRAM_BINS + huBin(-900)]).toBeCloseTo(1, 6);
    expect(h[HU_HISTOGRAM_BINS + boxBin]).toBe(0);
  });

  it('takes sqrt of counts, clips out-of-range HU into the end bins and uses the 120 px square', () => {
    // Box 10×10 px: left half 3000 HU (beyond the range), right half −2000 HU (below).
    const img = image(300, 300, (x, y) => (x >= 50 && x < 60 && y >= 50 && y < 60 ? (x < 55 ? 3000 : -2000) : 0));
    const h = huHistogramBlock(img, { x1: 50, y1: 50, x2: 60, y2: 60 });
    // Equal counts (50 and 50) → equal sqrt weights 1/√2 in the first and last bin.
    expect(h[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(h[HU_HISTOGRAM_BINS - 1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(norm(h.subarray(32))).toBeCloseTo(1, 6);
  });

  it('counts box pixels by their centres, borders included, and falls back to the centre for tiny boxes', () => {
    // A box from 10.5 to 12.5 holds the centres 10.5, 11.5, 12.5 → 3×3 pixels.
    const img = image(64, 64, (x, y) => (x >= 10 && x <= 12 && y >= 10 && y <= 12 ? 100 : -1000));
    const h = huHistogramBlock(img, { x1: 10.5, y1: 10.5, x2: 12.5, y2: 12.5 });
    expect(h[huBin(100)]).toBeCloseTo(1, 6);
    expect(h[32 + huBin(100)]).toBe(0);
    // A box holding no pixel centre (10.6..11.4) uses the pixels whose centres are within 2 px of
    // its centre 11: centres 9.5..12.5, i.e. 4×4 pixels, 9 of them 100 HU and 7 of them −1000 HU.
    const tiny = huHistogramBlock(img, { x1: 10.6, y1: 10.6, x2: 11.4, y2: 11.4 });
    expect(tiny[huBin(100)] / tiny[huBin(-1000)]).toBeCloseTo(3 / Math.sqrt(7), 6);
  });
});

describe('body position', () => {
  // An elliptical body (HU 40) centred at (128, 120) with semi-axes 100 × 70 on air, plus a thin table line.
  const body = image(256, 256, (x, y) => {
    if (y === 230) return 200; // table: one pixel thick, removed by the opening
    return ((x - 128) / 100) ** 2 + ((y - 120) / 70) ** 2 <= 1 ? 40 : -1000;
  });

  it('finds the body box without the table', () => {
    const [x0, y0, x1, y1] = bodyBoundingBox(body);
    expect(x0).toBeGreaterThanOrEqual(27);
    expect(x0).toBeLessThanOrEqual(30);
    expect(x1).toBeGreaterThanOrEqual(227);
    expect(x1).toBeLessThanOrEqual(230);
    expect(y0).toBeGreaterThanOrEqual(49);
    expect(y1).toBeLessThanOrEqual(192);
  });

  it('places a centred box at about (0.5, 0.5) and peaks the bumps there', () => {
    const box = { x1: 118, y1: 110, x2: 138, y2: 130 };
    const { u, v } = positionInBody(bodyBoundingBox(body), box);
    expect(u).toBeCloseTo(0.5, 1);
    expect(v).toBeCloseTo(0.5, 1);
    const p = bodyPositionBlock(body, box);
    expect(p.length).toBe(169);
    expect(norm(p)).toBeCloseTo(1, 6);
    // Grid point 6 of 13 is 0.5 on both axes (u index major).
    expect(p.indexOf(Math.max(...p))).toBe(6 * 13 + 6);
  });

  it('keeps the largest component and gives the whole image when there is no body', () => {
    const twoBlobs = image(100, 100, (x, y) => ((x >= 10 && x < 20 && y >= 10 && y < 20) || (x >= 40 && x < 90 && y >= 50 && y < 80) ? 0 : -1000));
    expect(bodyBoundingBox(twoBlobs)).toEqual([40, 50, 90, 80]);
    expect(bodyBoundingBox(image(32, 16, () => -1000))).toEqual([0, 0, 32, 16]);
  });

  it('matches a plain pixel-by-pixel opening and labelling on random blobs of odd widths', () => {
    const rng = new Prng(42);
    for (const [width, height] of [
      [45, 37],
      [64, 20],
      [100, 61],
      [33, 33],
    ]) {
      for (let trial = 0; trial < 5; trial++) {
        // Random discs on air: several components, some touching the border.
        const discs = Array.from({ length: 6 }, () => [rng.uniform(0, width), rng.uniform(0, height), rng.uniform(2, 12)]);
        const img = image(width, height, (x, y) => (discs.some(([cx, cy, r]) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r) ? 50 : -1000));
        expect(bodyBoundingBox(img)).toEqual(naiveBodyBox(img));
      }
    }
  });

  it('spreads bumps with sigma 0.12 on the grid −0.1..1.1', () => {
    const p = positionBumps(-0.1, -0.1);
    // Neighbour grid point is 0.1 away: ratio exp(−0.01 / (2·0.0144)).
    expect(p[1] / p[0]).toBeCloseTo(Math.exp(-0.01 / 0.0288), 6);
    expect(p[13] / p[0]).toBeCloseTo(Math.exp(-0.01 / 0.0288), 6);
  });
});

describe('scatteringInputs', () => {
  it('resamples the context square around the box centre into windowed channels', () => {
    // A horizontal ramp: HU = 10·x − 1000, box centred at (100, 80).
    const img = image(200, 200, (x) => 10 * x - 1000);
    const box = { x1: 90, y1: 70, x2: 110, y2: 90 };
    const { patch, boxMask } = scatteringInputs(img, box, {
      contextPx: 40,
      size: 20,
      windows: [
        [-1000, 1000],
        [0, 10],
      ],
    });
    expect(patch.length).toBe(2 * 400);
    // Patch column k samples x = 100 + (k + 0.5)·2 − 20 − 0.5; a blur leaves a ramp unchanged.
    for (const k of [0, 7, 19]) {
      const x = 100 + (k + 0.5) * 2 - 20 - 0.5;
      expect(patch[3 * 20 + k]).toBeCloseTo((10 * x - 1000 + 1000) / 2000, 5);
    }
    // Second window [0, 10] HU: clipped to 0 left of x = 100, to 1 from x = 101.
    expect(patch[400 + 5 * 20 + 0]).toBe(0);
    expect(patch[400 + 5 * 20 + 19]).toBe(1);
    // Box 20 px of 40 → half the patch, centred.
    expect(boxMask.reduce((a, b) => a + b, 0)).toBe(100);
    expect(boxMask[10 * 20 + 10]).toBe(1);
    expect(boxMask[2 * 20 + 2]).toBe(0);
  });

  it('replicates edge pixels outside the slice', () => {
    const img = image(50, 50, () => 500);
    const { patch } = scatteringInputs(img, { x1: 0, y1: 0, x2: 4, y2: 4 }, { contextPx: 120, size: 64, windows: [[0, 1000]] });
    expect(patch.every((v) => Math.abs(v - 0.5) < 1e-6)).toBe(true);
  });

  it('keeps box half-sides of at least 2 patch pixels', () => {
    const mask = boxMaskInPatch({ x1: 50, y1: 50, x2: 50.5, y2: 50.5 }, 120, 64);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(16);
  });
});

describe('combineBlocks', () => {
  it('normalises blocks (and sub-blocks), weights and concatenates them', () => {
    const combined = combineBlocks([
      { vector: Float32Array.from([3, 4]), weight: 1 },
      { vector: Float32Array.from([10, 0, 0, 2]), weight: 2, subBlocks: [2, 2] },
      { vector: Float32Array.from([0, 0]), weight: 0.5 },
    ]);
    // Second block: sub-blocks [1, 0] and [0, 1], then /√2, then ×2.
    const expected = [0.6, 0.8, Math.SQRT2, 0, 0, Math.SQRT2, 0, 0];
    expected.forEach((v, i) => expect(combined[i]).toBeCloseTo(v, 6));
    expect(() => combineBlocks([{ vector: new Float32Array(3), weight: 1, subBlocks: [1, 1] }])).toThrow(/sum to 2/);
  });

  it('leaves zero vectors at zero', () => {
    expect(Array.from(l2Normalise(new Float64Array(3)))).toEqual([0, 0, 0]);
  });
});

/** The body box the slow, obvious way (the same rules as bodyBoundingBox), for cross-checking. */
function naiveBodyBox({ width, height, data }: HuImage): [number, number, number, number] {
  let mask: number[] = Array.from(data, (v) => (v > -500 ? 1 : 0));
  const at = (m: number[], x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : m[y * width + x]);
  const step = (m: number[], erode: boolean) =>
    m.map((_, i) => {
      const x = i % width;
      const y = Math.floor(i / width);
      const values = [at(m, x, y), at(m, x - 1, y), at(m, x + 1, y), at(m, x, y - 1), at(m, x, y + 1)];
      return erode ? Math.min(...values) : Math.max(...values);
    });
  mask = step(step(mask, true), true);
  mask = step(step(mask, false), false);
  const label = new Array<number>(mask.length).fill(0);
  let best: [number, number, number, number] = [0, 0, width, height];
  let bestSize = 0;
  let next = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i] || label[i]) continue;
    next++;
    const queue = [i];
    label[i] = next;
    const box = [width, height, 0, 0];
    for (let q = 0; q < queue.length; q++) {
      const x = queue[q] % width;
      const y = Math.floor(queue[q] / width);
      box[0] = Math.min(box[0], x);
      box[1] = Math.min(box[1], y);
      box[2] = Math.max(box[2], x + 1);
      box[3] = Math.max(box[3], y + 1);
      for (const [nx, ny] of [
        [x - 1, y],
        [x + 1, y],
        [x, y - 1],
        [x, y + 1],
      ]) {
        const j = ny * width + nx;
        if (at(mask, nx, ny) && !label[j]) {
          label[j] = next;
          queue.push(j);
        }
      }
    }
    if (queue.length > bestSize) {
      bestSize = queue.length;
      best = box as [number, number, number, number];
    }
  }
  return best;
}
