import { correlationBank } from './morlet';
import { ScatteringDesign, levelSizes, scalePairs, scatteringLayout } from './scattering-design';

const { sqrt } = Math;

/**
 * Plain-TypeScript reference of exactly what the ONNX scattering graph computes (float64), for
 * tests and for checking design changes without building a model. One patch at a time:
 * `patch` is [channels, size, size], `boxMask` [size, size]; returns the raw coefficients.
 */
export function scatteringReference(patch: Float32Array, boxMask: Float32Array, design: ScatteringDesign): Float64Array {
  const { J, L, channels } = design;
  const sizes = levelSizes(design);
  const plane = sizes[0] * sizes[0];
  const bank = Float64Array.from(correlationBank(L, design.radius));

  // Pyramids of the input channels and of the pooling weights (mask area per pixel, normalised).
  const inputs: Float64Array[][] = [Array.from({ length: channels }, (_, c) => Float64Array.from(patch.subarray(c * plane, (c + 1) * plane)))];
  const masks: Float64Array[] = [Float64Array.from(boxMask)];
  for (let j = 1; j < J; j++) {
    inputs.push(inputs[j - 1].map((map) => decimate(map, sizes[j - 1], design.decimationTaps)));
    masks.push(averagePool2(masks[j - 1], sizes[j - 1]));
  }
  const boxWeights = masks.map(normaliseSum);

  // U1[j][c][t] at level j.
  const U1 = inputs.map((level, j) => level.map((map) => morletModuli(map, sizes[j], bank, L, design.radius)));

  // Order 1: [mean x, mean_t U1_j ...] per channel and region.
  const regions = [(j: number) => uniformWeights(sizes[j]), (j: number) => boxWeights[j]];
  const layout = scatteringLayout(design);
  const out = new Float64Array(layout.dim);
  const pairs = scalePairs(J);
  regions.forEach((weightsAt, region) => {
    const o1 = region * (layout.order1 + layout.order2);
    for (let c = 0; c < channels; c++) {
      out[o1 + c * (1 + J)] = weightedSum(inputs[0][c], weightsAt(0));
      for (let j = 0; j < J; j++) {
        let s = 0;
        for (let t = 0; t < L; t++) s += weightedSum(U1[j][c][t], weightsAt(j));
        out[o1 + c * (1 + J) + 1 + j] = s / L;
      }
    }
  });

  // Order 2. U1 of finer scales decimated to level j2: finer[j1][c][t], updated level by level.
  let finer: Float64Array[][][] = [];
  for (let j2 = 1; j2 < J; j2++) {
    const size = sizes[j2 - 1];
    finer = [...finer, U1[j2 - 1]].map((scale) => scale.map((maps) => maps.map((map) => decimate(map, size, design.decimationTaps))));
    for (let j1 = 0; j1 < j2; j1++) {
      const pair = pairs.findIndex(([a, b]) => a === j1 && b === j2);
      for (let c = 0; c < channels; c++) {
        // pooled[region][t1·L + t2]
        const pooled = [new Float64Array(L * L), new Float64Array(L * L)];
        for (let t1 = 0; t1 < L; t1++) {
          const moduli = morletModuli(finer[j1][c][t1], sizes[j2], bank, L, design.radius);
          for (let t2 = 0; t2 < L; t2++) {
            pooled[0][t1 * L + t2] = weightedSum(moduli[t2], uniformWeights(sizes[j2]));
            pooled[1][t1 * L + t2] = weightedSum(moduli[t2], boxWeights[j2]);
          }
        }
        for (let region = 0; region < 2; region++) {
          const base = region * (layout.order1 + layout.order2) + layout.order1 + (c * pairs.length + pair) * L;
          for (let d = 0; d < L; d++) {
            let s = 0;
            for (let t = 0; t < L; t++) s += pooled[region][t * L + ((t + d) % L)];
            out[base + d] = s / L;
          }
        }
      }
    }
  }
  return out;
}

/** |map ⋆ psi_t| for t = 0..L−1 (reflect padding, 'same' size). */
function morletModuli(map: Float64Array, size: number, bank: Float64Array, L: number, radius: number): Float64Array[] {
  const side = 2 * radius + 1;
  const taps = side * side;
  const paddedSide = size + 2 * radius;
  const padded = reflectPad(map, size, radius);
  const out: Float64Array[] = [];
  for (let t = 0; t < L; t++) {
    const re = bank.subarray(t * taps, (t + 1) * taps);
    const im = bank.subarray((L + t) * taps, (L + t + 1) * taps);
    const modulus = new Float64Array(size * size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let sr = 0;
        let si = 0;
        for (let ky = 0; ky < side; ky++) {
          const row = (y + ky) * paddedSide + x;
          const k = ky * side;
          for (let kx = 0; kx < side; kx++) {
            const v = padded[row + kx];
            sr += re[k + kx] * v;
            si += im[k + kx] * v;
          }
        }
        modulus[y * size + x] = sqrt(sr * sr + si * si);
      }
    }
    out.push(modulus);
  }
  return out;
}

/** numpy 'reflect' (edge not repeated): index −1 → 1, size → size − 2. Needs pad < size. */
function reflectPad(map: Float64Array, size: number, pad: number): Float64Array {
  const side = size + 2 * pad;
  const out = new Float64Array(side * side);
  const reflect = (i: number) => (i < 0 ? -i : i >= size ? 2 * size - 2 - i : i);
  for (let y = 0; y < side; y++) {
    const sy = reflect(y - pad);
    for (let x = 0; x < side; x++) out[y * side + x] = map[sy * size + reflect(x - pad)];
  }
  return out;
}

/** Separable low-pass then 2× decimation: output i is centred on input 2i + 0.5 (reflect borders). */
function decimate(map: Float64Array, size: number, taps: number[]): Float64Array {
  const pad = taps.length / 2 - 1;
  const padded = reflectPad(map, size, pad);
  const side = size + 2 * pad;
  const half = size / 2;
  const out = new Float64Array(half * half);
  for (let y = 0; y < half; y++) {
    for (let x = 0; x < half; x++) {
      let s = 0;
      for (let a = 0; a < taps.length; a++) {
        const row = (2 * y + a) * side + 2 * x;
        for (let b = 0; b < taps.length; b++) s += taps[a] * taps[b] * padded[row + b];
      }
      out[y * half + x] = s;
    }
  }
  return out;
}

/** 2×2 mean, stride 2 (the share of each coarse pixel covered by the mask). */
function averagePool2(map: Float64Array, size: number): Float64Array {
  const half = size / 2;
  const out = new Float64Array(half * half);
  for (let y = 0; y < half; y++) {
    for (let x = 0; x < half; x++) {
      const i = 2 * y * size + 2 * x;
      out[y * half + x] = (map[i] + map[i + 1] + map[i + size] + map[i + size + 1]) / 4;
    }
  }
  return out;
}

function normaliseSum(map: Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < map.length; i++) s += map[i];
  return map.map((v) => v / s);
}

const uniformCache = new Map<number, Float64Array>();
function uniformWeights(size: number): Float64Array {
  let w = uniformCache.get(size);
  if (!w) uniformCache.set(size, (w = new Float64Array(size * size).fill(1 / (size * size))));
  return w;
}

function weightedSum(map: Float64Array, weights: Float64Array): number {
  let s = 0;
  for (let i = 0; i < map.length; i++) s += map[i] * weights[i];
  return s;
}
