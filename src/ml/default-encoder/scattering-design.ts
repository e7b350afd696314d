/**
 * The shape of the default scattering encoder, shared by the ONNX builder and the TypeScript
 * reference so that both compute the same thing.
 *
 * Instead of kymatio's large dilated filters, every scale uses the finest Morlet pair on a pyramid:
 * level j is the input low-passed and decimated 2× j times (a separable binomial, centred between
 * pixel pairs so the pixel-centre grid is kept). U1 at scale j is |x_j ⋆ psi|; second order at
 * scale j2 filters U1 of each finer scale j1 after decimating it to level j2. Borders are reflected
 * (numpy 'reflect') at every level.
 */
export interface ScatteringDesign {
  /** Number of scales (pyramid levels). */
  J: number;
  /** Number of orientations. */
  L: number;
  /** Input patch side; must be divisible by 2^(J−1). */
  size: number;
  /** Input channels (HU windows). */
  channels: number;
  /** Half-side of the Morlet kernels, in pixels of their level. */
  radius: number;
  /** Symmetric even-length 1-D low-pass applied before each 2× decimation (sums to 1). */
  decimationTaps: number[];
}

export interface ScatteringModelOptions {
  J?: number;
  L?: number;
  size?: number;
  radius?: number;
}

/** Binomial [1, 3, 3, 1] / 8: Gaussian-like (sigma ≈ 0.87 px), centred between pixels 2i and 2i + 1. */
export const BINOMIAL_4 = [1 / 8, 3 / 8, 3 / 8, 1 / 8];

export const DEFAULT_SCATTERING_DESIGN: ScatteringDesign = {
  J: 4,
  L: 8,
  size: 64,
  channels: 3,
  radius: 4,
  decimationTaps: BINOMIAL_4,
};

export function resolveDesign(options: ScatteringModelOptions = {}, base: ScatteringDesign = DEFAULT_SCATTERING_DESIGN): ScatteringDesign {
  const design = { ...base, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as ScatteringDesign;
  const { J, L, size, radius, decimationTaps } = design;
  if (!Number.isInteger(J) || J < 2) throw new RangeError('J must be an integer ≥ 2 (second order needs two scales)');
  if (!Number.isInteger(L) || L < 1) throw new RangeError('L must be a positive integer');
  if (!Number.isInteger(radius) || radius < 1) throw new RangeError('radius must be a positive integer');
  if (decimationTaps.length % 2 !== 0) throw new RangeError('decimation taps must have even length');
  const coarsest = size / 2 ** (J - 1);
  // Reflect padding needs more pixels than the pad on the coarsest level.
  if (!Number.isInteger(coarsest) || coarsest <= radius || coarsest <= decimationTaps.length / 2) {
    throw new RangeError(`size ${size} is too small for J=${J} with kernel radius ${radius}`);
  }
  return design;
}

/** Scale pairs (j1 < j2) in lexicographic order: the layout of second-order coefficients. */
export function scalePairs(J: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let j1 = 0; j1 < J; j1++) for (let j2 = j1 + 1; j2 < J; j2++) pairs.push([j1, j2]);
  return pairs;
}

/**
 * Output layout, per region (whole patch, then box): order 1 = per channel [mean x, mean over
 * orientations of U1_j for j = 0..J−1]; order 2 = per channel, per pair (j1, j2), per orientation
 * difference d: mean over t of U2(t, (t + d) mod L). So [o1_all, o2_all, o1_box, o2_box].
 */
export function scatteringLayout(design: Pick<ScatteringDesign, 'J' | 'L' | 'channels'>): { order1: number; order2: number; subBlocks: number[]; dim: number } {
  const order1 = design.channels * (1 + design.J);
  const order2 = design.channels * scalePairs(design.J).length * design.L;
  return { order1, order2, subBlocks: [order1, order2, order1, order2], dim: 2 * (order1 + order2) };
}

/** Level side lengths: size, size/2, … */
export function levelSizes(design: ScatteringDesign): number[] {
  return Array.from({ length: design.J }, (_, j) => design.size / 2 ** j);
}

/**
 * Multiply-adds of the convolutions per patch: Morlet filtering (2L real kernels of (2R+1)² taps)
 * of every first- and second-order map, and the decimation filters.
 */
export function scatteringMacs(design: ScatteringDesign): number {
  const { J, L, channels, radius, decimationTaps } = design;
  const taps = (2 * radius + 1) ** 2;
  const sizes = levelSizes(design);
  let macs = 0;
  for (let j = 0; j < J; j++) {
    const pixels = sizes[j] * sizes[j];
    macs += channels * 2 * L * taps * pixels; // first order
    macs += channels * j * L * 2 * L * taps * pixels; // second order: j finer scales, L orientations each
    if (j > 0) {
      // decimated into level j: the input channels and the U1 maps of every finer scale
      const maps = channels + channels * L * j;
      macs += maps * decimationTaps.length ** 2 * pixels;
    }
  }
  return macs;
}
