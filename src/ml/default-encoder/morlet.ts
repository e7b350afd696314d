const { PI, cos, exp, sin } = Math;

/**
 * Morlet filters with kymatio's 2-D parameters: at scale j, sigma = 0.8·2^j, centre frequency
 * xi = 3π/4 / 2^j, slant 4/L (the envelope is 1/slant times longer across the wave than along it),
 * orientation theta_t = (floor(L − L/2 − 1) − t)·π/L. The first array axis (rows) plays kymatio's x.
 * Kernels are sampled on a (2R+1)² square instead of kymatio's periodised 5×5 tiles, and the
 * envelope correction (wave − β·envelope) makes each truncated kernel sum to exactly zero.
 */
export interface MorletParameters {
  sigma: number;
  xi: number;
  theta: number;
  slant: number;
}

export function morletParameters(j: number, t: number, L: number): MorletParameters {
  return {
    sigma: 0.8 * 2 ** j,
    xi: (3 * PI) / 4 / 2 ** j,
    theta: ((Math.floor(L - L / 2 - 1) - t) * PI) / L,
    slant: 4 / L,
  };
}

/** A complex kernel on (2·radius + 1)² taps, row-major, centred; psi(r, c) with r the row offset. */
export interface ComplexKernel {
  radius: number;
  real: Float64Array;
  imag: Float64Array;
}

export function morletKernel({ sigma, xi, theta, slant }: MorletParameters, radius: number): ComplexKernel {
  const side = 2 * radius + 1;
  const c = cos(theta);
  const s = sin(theta);
  // A = R · diag(1, slant²) · Rᵀ / (2σ²)
  const a00 = (c * c + slant * slant * s * s) / (2 * sigma * sigma);
  const a01 = (c * s - slant * slant * c * s) / (2 * sigma * sigma);
  const a11 = (s * s + slant * slant * c * c) / (2 * sigma * sigma);
  const norm = 1 / ((2 * PI * sigma * sigma) / slant);
  const envelope = new Float64Array(side * side);
  const waveRe = new Float64Array(side * side);
  const waveIm = new Float64Array(side * side);
  let envelopeSum = 0;
  let waveSumRe = 0;
  let waveSumIm = 0;
  for (let r = -radius; r <= radius; r++) {
    for (let q = -radius; q <= radius; q++) {
      const i = (r + radius) * side + (q + radius);
      const e = exp(-(a00 * r * r + 2 * a01 * r * q + a11 * q * q)) * norm;
      const phase = xi * (r * c + q * s);
      envelope[i] = e;
      waveRe[i] = e * cos(phase);
      waveIm[i] = e * sin(phase);
      envelopeSum += e;
      waveSumRe += waveRe[i];
      waveSumIm += waveIm[i];
    }
  }
  const betaRe = waveSumRe / envelopeSum;
  const betaIm = waveSumIm / envelopeSum;
  const real = new Float64Array(side * side);
  const imag = new Float64Array(side * side);
  for (let i = 0; i < side * side; i++) {
    real[i] = waveRe[i] - betaRe * envelope[i];
    imag[i] = waveIm[i] - betaIm * envelope[i];
  }
  return { radius, real, imag };
}

/**
 * The finest-scale (j = 0) bank used at every pyramid level, as correlation weights
 * [2L, 1, K, K]: channels 0..L−1 the real parts, L..2L−1 the imaginary parts. Correlation with
 * psi(−k) is convolution with psi, as in the FFT reference (the modulus is the same either way).
 */
export function correlationBank(L: number, radius: number): Float32Array {
  const side = 2 * radius + 1;
  const taps = side * side;
  const out = new Float32Array(2 * L * taps);
  for (let t = 0; t < L; t++) {
    const { real, imag } = morletKernel(morletParameters(0, t, L), radius);
    for (let i = 0; i < taps; i++) {
      out[t * taps + i] = real[taps - 1 - i]; // index taps−1−i is the point reflection −k
      out[(L + t) * taps + i] = imag[taps - 1 - i];
    }
  }
  return out;
}
