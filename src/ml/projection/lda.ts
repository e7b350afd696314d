import { symmetricEigen } from './symmetric-eigen';

/** A linear map fitted on labelled descriptors: y = Wᵀ (x − mean), W is d × dims (row-major). */
export interface LinearProjection {
  inputDim: number;
  dims: number;
  mean: Float64Array;
  weights: Float64Array;
}

/** Training data that cannot give a projection: the message says what is missing. */
export class ProjectionTrainingError extends Error {}

/** A curator's mark on two lesions (indices into the fitted vectors): relevant = must-link, not relevant = cannot-link. */
export interface LinkPair {
  a: number;
  b: number;
  relevant: boolean;
}

export interface LdaOptions {
  /** Shrinkage of the within-class scatter towards its mean variance, 0 (plain LDA) … 1 (between-class only). */
  shrinkage?: number;
  /** Fewest labelled examples to fit from. */
  minExamples?: number;
  /** Must-link pairs add to the within-class scatter, cannot-link pairs to the between-class scatter. */
  pairs?: readonly LinkPair[];
  /** Weight of all pairs together against all labels together (1: as much as n labelled lesions). */
  pairWeight?: number;
  /** Fewest pairs to fit from, when pairs are given. */
  minPairs?: number;
}

export const LDA_DEFAULTS = { shrinkage: 0.5, minExamples: 10, pairWeight: 1, minPairs: 10 };

/**
 * Regularised linear discriminant analysis. The descriptors are first reduced to the span of the centred
 * training data (at most n − 1 directions, from the n × n Gram matrix when n < d): with fewer examples than
 * dimensions the within-class scatter is singular anyway, and the reduction makes the fit O(n³) instead of
 * O(d³). In that span the within-class scatter is shrunk towards a multiple of the identity, whitened, and the
 * between-class directions of the whitened data (at most classes − 1) are the projection.
 */
export function fitLda(vectors: readonly Float32Array[], labels: readonly number[] | null, options: LdaOptions = {}): LinearProjection {
  const shrinkage = options.shrinkage ?? LDA_DEFAULTS.shrinkage;
  const minExamples = options.minExamples ?? LDA_DEFAULTS.minExamples;
  const pairs = options.pairs ?? [];
  if (labels && vectors.length !== labels.length) throw new Error(`${vectors.length} vectors for ${labels.length} labels`);
  if (!(shrinkage >= 0 && shrinkage <= 1)) throw new ProjectionTrainingError('shrinkage must be between 0 and 1');
  const n = vectors.length;
  if (pairs.some((p) => !(p.a >= 0 && p.a < n && p.b >= 0 && p.b < n) || p.a === p.b)) throw new Error('a pair names a vector that is not there');
  if (!labels && options.pairs === undefined) throw new ProjectionTrainingError('Nothing to fit: neither labels nor feedback pairs were given');
  if (options.pairs !== undefined) checkPairs(pairs, options.minPairs ?? LDA_DEFAULTS.minPairs);
  if (n < minExamples) throw new ProjectionTrainingError(`Too few labelled lesions to fit a projection: ${n}, at least ${minExamples} are needed`);
  const classes = labels ? [...new Set(labels)].sort((a, b) => a - b) : [];
  if (labels && classes.length < 2) {
    throw new ProjectionTrainingError(`Every labelled lesion has the same label (${classes[0]}): a projection needs at least two classes`);
  }
  const d = vectors[0].length;
  if (vectors.some((v) => v.length !== d)) throw new Error('vectors of different lengths');

  const mean = new Float64Array(d);
  for (const v of vectors) for (let j = 0; j < d; j++) mean[j] += v[j] / n;
  const centred = vectors.map((v) => Float64Array.from(v, (x, j) => x - mean[j]));

  // Orthonormal basis U (d × r) of the centred data's span, from the Gram matrix's eigenvectors.
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = i; k < n; k++) gram[i * n + k] = gram[k * n + i] = dotF64(centred[i], centred[k]);
  const gramEigen = symmetricEigen(gram, n);
  const top = gramEigen.values[0];
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (gramEigen.values[i] > 1e-9 * top) kept.push(i);
  const r = kept.length;
  if (r === 0) throw new ProjectionTrainingError('The labelled descriptors are all identical: nothing to fit');
  const basis = new Float64Array(d * r); // column c: Xcᵀ v_c / sqrt(λ_c)
  kept.forEach((e, c) => {
    const scale = 1 / Math.sqrt(gramEigen.values[e]);
    for (let i = 0; i < n; i++) {
      const coefficient = gramEigen.vectors[i * n + e] * scale;
      if (coefficient === 0) continue;
      const row = centred[i];
      for (let j = 0; j < d; j++) basis[j * r + c] += coefficient * row[j];
    }
  });
  const reduced = centred.map((x) => {
    const z = new Float64Array(r);
    for (let j = 0; j < d; j++) {
      const xj = x[j];
      if (xj === 0) continue;
      for (let c = 0; c < r; c++) z[c] += xj * basis[j * r + c];
    }
    return z;
  });

  // Scatter within and between classes in the reduced space (the data is centred: the overall mean is 0).
  const within = new Float64Array(r * r);
  const between = new Float64Array(r * r);
  for (const label of classes) {
    const members = reduced.filter((_, i) => labels![i] === label);
    const m = new Float64Array(r);
    for (const z of members) for (let c = 0; c < r; c++) m[c] += z[c] / members.length;
    for (const z of members) addOuter(within, z, m, r, 1);
    addOuter(between, m, new Float64Array(r), r, members.length);
  }
  // A pair's scatter about its own mean is ½ (a − b)(a − b)ᵀ; each kind is scaled to weigh as n lesions.
  const pairWeight = options.pairWeight ?? LDA_DEFAULTS.pairWeight;
  for (const relevant of [true, false]) {
    const kind = pairs.filter((p) => p.relevant === relevant);
    for (const p of kind) addOuter(relevant ? within : between, reduced[p.a], reduced[p.b], r, (0.5 * pairWeight * n) / kind.length);
  }
  let trace = 0;
  for (let c = 0; c < r; c++) trace += within[c * r + c];
  const floor = trace > 0 ? trace / r : 1;
  for (let i = 0; i < r * r; i++) within[i] *= 1 - shrinkage;
  for (let c = 0; c < r; c++) within[c * r + c] += shrinkage * floor;

  // Whiten the within-class scatter, then take the leading between-class directions.
  const we = symmetricEigen(within, r);
  const whiten = new Float64Array(r * r); // E D^-1/2
  for (let i = 0; i < r; i++) for (let c = 0; c < r; c++) whiten[i * r + c] = we.vectors[i * r + c] / Math.sqrt(Math.max(we.values[c], 1e-12 * floor));
  const bw = multiply(transpose(whiten, r, r), r, r, multiply(between, r, r, whiten, r), r);
  const be = symmetricEigen(bw, r);
  // Labels give at most classes − 1 directions, each cannot-link pair one more; directions without between-class spread are noise.
  const cannotLink = pairs.filter((p) => !p.relevant).length;
  const rank = cannotLink ? be.values.filter((v) => v > 1e-9 * be.values[0]).length : r;
  const dims = Math.max(1, Math.min(Math.max(classes.length - 1, 0) + cannotLink, r, rank));
  const inReduced = new Float64Array(r * dims); // whiten · F
  for (let i = 0; i < r; i++) for (let k = 0; k < dims; k++) for (let c = 0; c < r; c++) inReduced[i * dims + k] += whiten[i * r + c] * be.vectors[c * r + k];
  const weights = multiply(basis, d, r, inReduced, dims);
  return { inputDim: d, dims, mean, weights };
}

/** Wᵀ (x − mean), accumulated in float64: of a fitted map, or of one in a manifest's form (applyProjection). */
export function project(
  projection: Pick<LinearProjection, 'dims'> & { mean: ArrayLike<number>; weights: ArrayLike<number> },
  vector: Float32Array,
): Float32Array {
  const { dims, mean, weights } = projection;
  const acc = new Float64Array(dims);
  for (let j = 0; j < vector.length; j++) {
    const x = vector[j] - mean[j];
    if (x === 0) continue;
    for (let k = 0; k < dims; k++) acc[k] += x * weights[j * dims + k];
  }
  return Float32Array.from(acc);
}

function checkPairs(pairs: readonly LinkPair[], minPairs: number): void {
  if (pairs.length < minPairs) {
    throw new ProjectionTrainingError(`Too few feedback pairs to fit a projection: ${pairs.length}, at least ${minPairs} are needed`);
  }
  const relevant = pairs.filter((p) => p.relevant).length;
  if (relevant === 0 || relevant === pairs.length) {
    const only = relevant === 0 ? 'not relevant' : 'relevant';
    throw new ProjectionTrainingError(`Every feedback pair is marked ${only} (${pairs.length} pairs): training needs both relevant and not relevant pairs`);
  }
}

function dotF64(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** target += weight · (a − b)(a − b)ᵀ */
function addOuter(target: Float64Array, a: Float64Array, b: Float64Array, r: number, weight: number): void {
  for (let i = 0; i < r; i++) {
    const di = (a[i] - b[i]) * weight;
    if (di === 0) continue;
    for (let k = 0; k < r; k++) target[i * r + k] += di * (a[k] - b[k]);
  }
}

function multiply(a: Float64Array, rows: number, inner: number, b: Float64Array, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < inner; k++) {
      const x = a[i * inner + k];
      if (x === 0) continue;
      for (let j = 0; j < cols; j++) out[i * cols + j] += x * b[k * cols + j];
    }
  }
  return out;
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}
