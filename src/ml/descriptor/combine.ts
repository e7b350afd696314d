const { sqrt } = Math;

export interface DescriptorBlockInput {
  vector: Float32Array;
  /** Scale after normalisation; cosine similarity then weighs the block's own cosine by weight². */
  weight: number;
  /** Lengths of consecutive sub-blocks normalised separately (must sum to the vector length). */
  subBlocks?: number[];
}

/** v / |v| (float64 arithmetic); a zero vector stays zero. */
export function l2Normalise<T extends Float32Array | Float64Array>(v: T): T {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const out = v.slice() as T;
  if (s > 0) {
    const inv = 1 / sqrt(s);
    for (let i = 0; i < out.length; i++) out[i] = v[i] * inv;
  }
  return out;
}

/**
 * The combined descriptor: each block L2-normalised (with sub-blocks, each sub-block normalised
 * first and then the whole block), scaled by its weight and concatenated.
 */
export function combineBlocks(blocks: DescriptorBlockInput[]): Float32Array {
  const out = new Float32Array(blocks.reduce((n, b) => n + b.vector.length, 0));
  let offset = 0;
  for (const { vector, weight, subBlocks } of blocks) {
    let block = Float64Array.from(vector);
    if (subBlocks) {
      const total = subBlocks.reduce((a, b) => a + b, 0);
      if (total !== vector.length) throw new Error(`sub-blocks [${subBlocks}] sum to ${total}, the block has ${vector.length} values`);
      let start = 0;
      for (const length of subBlocks) {
        block.set(l2Normalise(block.subarray(start, start + length)), start);
        start += length;
      }
    }
    block = l2Normalise(block);
    for (let i = 0; i < block.length; i++) out[offset + i] = weight * block[i];
    offset += block.length;
  }
  return out;
}
