/**
 * How an embedding is stored in PostgreSQL (`lesion_embedding.vector`, bytea): little-endian float32,
 * which is the in-memory layout of a Float32Array on every platform Node runs on.
 */

/** Float32Array → bytea, without copying (a view on the same memory). */
export function vectorToBytes(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** bytea (little-endian float32) → Float32Array, copied so it owns aligned memory. */
export function bytesToVector(bytes: Buffer): Float32Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
