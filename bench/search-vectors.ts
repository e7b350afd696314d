/**
 * Seeded synthetic embeddings for the search benchmark: L2-normalised float32 vectors with cluster structure,
 * stored row-major in one Float32Array (no arrays of arrays), plus an exact inner-product top-k scan in plain
 * JavaScript that serves both as ground truth and as the "exact scan" baseline.
 *
 * Structure (three scales, so neighbourhoods are not trivial):
 *   - ~N/300 super-centres, random unit vectors (nearly orthogonal in 551-d);
 *   - ~N/30 cluster centres, each = normalise(super-centre + 0.8 · random unit direction)
 *     (sibling clusters share cos ≈ 0.6, unrelated ones ≈ 0);
 *   - points = normalise(cluster centre + 0.45 · (global 16-d latent factor basis · z) + 0.25 · isotropic noise),
 *     z ~ N(0, I₁₆); the cluster is drawn uniformly, so cluster sizes are Poisson(≈30) and small clusters
 *     spill their top-10 into sibling clusters. Within a cluster the order is set mostly by the latent factors,
 *     so the top-10 is a real ranking rather than a coin toss among equidistant points.
 * Queries are drawn the same way (fresh draws, not members of the set).
 */

export const DIM = 551;

/** sfc32: small, fast, seeded, good enough for benchmarks. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    let { a, b, c, d } = this;
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return (t >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller, caching the second value). */
  gauss(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

function normaliseRow(out: Float32Array, offset: number, tmp: Float64Array): void {
  let s = 0;
  for (let j = 0; j < DIM; j++) s += tmp[j] * tmp[j];
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < DIM; j++) out[offset + j] = tmp[j] * inv;
}

function randomUnitRows(rng: Rng, rows: number): Float32Array {
  const out = new Float32Array(rows * DIM);
  const tmp = new Float64Array(DIM);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < DIM; j++) tmp[j] = rng.gauss();
    normaliseRow(out, i * DIM, tmp);
  }
  return out;
}

export interface VectorSet {
  n: number;
  queries: number;
  /** N base vectors then Q query vectors, row-major, each row L2-normalised. */
  data: Float32Array;
  /** View of the base vectors only. */
  base: Float32Array;
  /** View of the query vectors only. */
  query: Float32Array;
  clusters: number;
  superClusters: number;
}

const LATENT = 16;
const CENTRE_SPREAD = 0.8;
const LATENT_SCALE = 0.45;
const NOISE_SCALE = 0.25;

export function generateVectors(n: number, queries: number, seed = 551): VectorSet {
  const rng = new Rng(seed);
  const superClusters = Math.max(1, Math.round(n / 300));
  const clusters = Math.max(1, Math.round(n / 30));
  const supers = randomUnitRows(rng, superClusters);
  const centres = new Float32Array(clusters * DIM);
  const tmp = new Float64Array(DIM);
  const dir = new Float64Array(DIM);
  for (let c = 0; c < clusters; c++) {
    const s = rng.int(superClusters) * DIM;
    let norm = 0;
    for (let j = 0; j < DIM; j++) {
      dir[j] = rng.gauss();
      norm += dir[j] * dir[j];
    }
    const k = CENTRE_SPREAD / Math.sqrt(norm);
    for (let j = 0; j < DIM; j++) tmp[j] = supers[s + j] + k * dir[j];
    normaliseRow(centres, c * DIM, tmp);
  }
  // Global latent basis, LATENT × DIM, scaled so that basis·z has expected squared norm 1.
  const basis = new Float64Array(LATENT * DIM);
  const bScale = 1 / Math.sqrt(LATENT * DIM);
  for (let i = 0; i < basis.length; i++) basis[i] = rng.gauss() * bScale;

  const total = n + queries;
  const data = new Float32Array(total * DIM);
  const z = new Float64Array(LATENT);
  const noise = NOISE_SCALE / Math.sqrt(DIM);
  for (let i = 0; i < total; i++) {
    const c = rng.int(clusters) * DIM;
    for (let l = 0; l < LATENT; l++) z[l] = rng.gauss() * LATENT_SCALE;
    for (let j = 0; j < DIM; j++) tmp[j] = centres[c + j] + noise * rng.gauss();
    for (let l = 0; l < LATENT; l++) {
      const zl = z[l];
      const row = l * DIM;
      for (let j = 0; j < DIM; j++) tmp[j] += zl * basis[row + j];
    }
    normaliseRow(data, i * DIM, tmp);
  }
  return {
    n,
    queries,
    data,
    base: data.subarray(0, n * DIM),
    query: data.subarray(n * DIM),
    clusters,
    superClusters,
  };
}

/**
 * Exact top-k by inner product (= cosine on normalised rows) of one query against rows of `base`
 * (all of them, or only `ids`). Plain JavaScript, single-threaded; ids come back best first.
 */
export function exactTopK(
  base: Float32Array,
  n: number,
  query: Float32Array,
  qOffset: number,
  k: number,
  ids?: Int32Array,
): { ids: Int32Array; scores: Float64Array } {
  const topIds = new Int32Array(k).fill(-1);
  const topScores = new Float64Array(k).fill(-Infinity);
  let worst = -Infinity;
  const count = ids ? ids.length : n;
  const end4 = DIM - (DIM % 4);
  for (let r = 0; r < count; r++) {
    const id = ids ? ids[r] : r;
    const o = id * DIM;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    let j = 0;
    for (; j < end4; j += 4) {
      s0 += base[o + j] * query[qOffset + j];
      s1 += base[o + j + 1] * query[qOffset + j + 1];
      s2 += base[o + j + 2] * query[qOffset + j + 2];
      s3 += base[o + j + 3] * query[qOffset + j + 3];
    }
    for (; j < DIM; j++) s0 += base[o + j] * query[qOffset + j];
    const s = s0 + s1 + s2 + s3;
    if (s <= worst) continue;
    let p = k - 1;
    while (p > 0 && topScores[p - 1] < s) {
      topScores[p] = topScores[p - 1];
      topIds[p] = topIds[p - 1];
      p--;
    }
    topScores[p] = s;
    topIds[p] = id;
    worst = topScores[k - 1];
  }
  return { ids: topIds, scores: topScores };
}

/** Mean and principal axes of real encoder embeddings (written by bench/embedding-spectrum.ts). */
export interface SpectrumShape {
  mean: number[];
  axes: number[][];
  variances: number[];
}

// Per-point variation lives on the leading axes (the rest of its variance is spread isotropically);
// 64 axes hold ~96 % of the real embeddings' variance and keep generating 1M points under a minute.
const POINT_AXES = 64;
// The same hierarchy as the isotropic generator, as shares of the variance: super-cluster 1, cluster
// offset 0.8², point 0.45² + 0.25² (see the top of this file).
const SHARES = { super: 1 / 1.905, cluster: 0.64 / 1.905, point: 0.265 / 1.905 };

/**
 * Clustered vectors shaped like the default encoder's embeddings on real CT: the measured mean plus
 * the same three-level hierarchy as `generateVectors`, but drawn along the measured principal axes with
 * the measured variances (so most of the spread lies in a few dozen directions, as it does for real
 * embeddings), then L2-normalised.
 */
export function generateEncoderShapedVectors(n: number, queries: number, shape: SpectrumShape, seed = 551): VectorSet {
  const rng = new Rng(seed);
  const superClusters = Math.max(1, Math.round(n / 300));
  const clusters = Math.max(1, Math.round(n / 30));
  const axisCount = shape.axes.length;
  const axes = new Float64Array(axisCount * DIM);
  shape.axes.forEach((axis, i) => axes.set(axis, i * DIM));
  const sd = shape.variances.map((v) => Math.sqrt(Math.max(0, v)));
  /** Σ_i sd_i · scale · g_i · axis_i over the first `count` axes, added into `out`. */
  const addAlongAxes = (out: Float64Array, scale: number, count: number) => {
    for (let i = 0; i < count; i++) {
      const c = sd[i] * scale * rng.gauss();
      if (c === 0) continue;
      const row = i * DIM;
      for (let j = 0; j < DIM; j++) out[j] += c * axes[row + j];
    }
  };
  const supers = new Float64Array(superClusters * DIM);
  const tmp = new Float64Array(DIM);
  for (let s = 0; s < superClusters; s++) {
    tmp.fill(0);
    addAlongAxes(tmp, Math.sqrt(SHARES.super), axisCount);
    supers.set(tmp, s * DIM);
  }
  const centres = new Float64Array(clusters * DIM);
  for (let c = 0; c < clusters; c++) {
    const s = rng.int(superClusters) * DIM;
    for (let j = 0; j < DIM; j++) tmp[j] = supers[s + j];
    addAlongAxes(tmp, Math.sqrt(SHARES.cluster), axisCount);
    centres.set(tmp, c * DIM);
  }
  const leading = Math.min(POINT_AXES, axisCount);
  const restVariance = shape.variances.slice(leading).reduce((a, b) => a + Math.max(0, b), 0);
  const residualSd = Math.sqrt((SHARES.point * restVariance) / DIM);
  const total = n + queries;
  const data = new Float32Array(total * DIM);
  const pointScale = Math.sqrt(SHARES.point);
  for (let p = 0; p < total; p++) {
    const c = rng.int(clusters) * DIM;
    for (let j = 0; j < DIM; j++) tmp[j] = shape.mean[j] + centres[c + j] + residualSd * rng.gauss();
    addAlongAxes(tmp, pointScale, leading);
    normaliseRow(data, p * DIM, tmp);
  }
  return { n, queries, data, base: data.subarray(0, n * DIM), query: data.subarray(n * DIM), clusters, superClusters };
}
