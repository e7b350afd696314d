import { DescriptorProjection } from '../encoder-manifest';
import { LinearProjection } from './lda';

/** weightsᵀ (joined − mean), accumulated in float64: what an encoder with a fitted projection stores. */
export function applyProjection(projection: DescriptorProjection, joined: Float32Array): Float32Array {
  const { dims, mean, weights } = projection;
  const acc = new Float64Array(dims);
  for (let j = 0; j < joined.length; j++) {
    const x = joined[j] - mean[j];
    if (x === 0) continue;
    for (let k = 0; k < dims; k++) acc[k] += x * weights[j * dims + k];
  }
  return Float32Array.from(acc);
}

/** A fitted map in the manifest's form. */
export function toDescriptorProjection(method: string, fitted: LinearProjection): DescriptorProjection {
  return { method, dims: fitted.dims, mean: [...fitted.mean], weights: [...fitted.weights] };
}
