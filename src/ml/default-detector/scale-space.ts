/**
 * The scale space of the default (weight-free) detector: Gaussian octaves in the manner of SIFT.
 * Each octave holds Gaussians at σ = 2·2^(j/3), j = 0..3, in its own pixels; consecutive ones differ by
 * a small incremental blur, and the difference of neighbours approximates the scale-normalised
 * Laplacian of Gaussian: (G(σ) − G(kσ)) / (k − 1) ≈ −σ²∇²G at σ·√k (bright blob → positive).
 * The next octave starts from the last Gaussian, subsampled by 2 (σ 4 → 2 in half-size pixels).
 */
export const SCALES_PER_OCTAVE = 3;
export const BASE_SIGMA = 2;
export const OCTAVES = 4;
export const SCALE_STEP = 2 ** (1 / SCALES_PER_OCTAVE);

export interface ScaleLevel {
  octave: number;
  /** Index within the octave (0..SCALES_PER_OCTAVE − 1). */
  level: number;
  /** Scale of the DoG response in octave pixels and in full-resolution pixels. */
  sigmaOctave: number;
  sigma: number;
}

/** The DoG levels the model outputs, finest first: sigma 2.24 … 28.5 px at full resolution. */
export function scaleLevels(octaves = OCTAVES): ScaleLevel[] {
  const out: ScaleLevel[] = [];
  for (let o = 0; o < octaves; o++) {
    for (let j = 0; j < SCALES_PER_OCTAVE; j++) {
      const sigmaOctave = BASE_SIGMA * SCALE_STEP ** j * Math.sqrt(SCALE_STEP);
      out.push({ octave: o, level: j, sigmaOctave, sigma: sigmaOctave * 2 ** o });
    }
  }
  return out;
}

/** Incremental blurs within one octave: σ_in → 2, 2 → 2k, 2k → 2k², 2k² → 4. */
export function octaveIncrements(inputSigma: number): number[] {
  const sigmas = Array.from({ length: SCALES_PER_OCTAVE + 1 }, (_, j) => BASE_SIGMA * SCALE_STEP ** j);
  const first = Math.sqrt(Math.max(sigmas[0] ** 2 - inputSigma ** 2, 0.25));
  return [first, ...sigmas.slice(1).map((s, j) => Math.sqrt(s * s - sigmas[j] ** 2))];
}

/** Normalised 1-D Gaussian taps, radius ceil(3σ). */
export function gaussianTaps(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const taps = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += taps[i + radius] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < taps.length; i++) taps[i] /= sum;
  return taps;
}
