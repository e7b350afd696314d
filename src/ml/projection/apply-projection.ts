import { DescriptorProjection } from '../encoder-manifest';
import { LinearProjection, project } from './lda';

/** weightsᵀ (joined − mean), accumulated in float64: what an encoder with a fitted projection stores (the arithmetic of `project`). */
export function applyProjection(projection: DescriptorProjection, joined: Float32Array): Float32Array {
  return project(projection, joined);
}

/** A fitted map in the manifest's form. */
export function toDescriptorProjection(method: string, fitted: LinearProjection): DescriptorProjection {
  return { method, dims: fitted.dims, mean: [...fitted.mean], weights: [...fitted.weights] };
}
