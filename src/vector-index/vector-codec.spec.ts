import { bytesToVector, vectorToBytes } from './vector-codec';

describe('vector codec', () => {
  it('round-trips a vector through its bytea form, little-endian float32', () => {
    const vector = new Float32Array([0.5, -1.25, 3e-8, 1e30]);
    const bytes = vectorToBytes(vector);
    expect(bytes.byteLength).toBe(16);
    expect(bytes.readFloatLE(4)).toBe(-1.25);
    expect(Array.from(bytesToVector(bytes))).toEqual(Array.from(vector));
  });

  it('decodes bytes at an odd offset into aligned memory of its own', () => {
    const pool = Buffer.alloc(9);
    const bytes = pool.subarray(1);
    bytes.writeFloatLE(2.5, 0);
    bytes.writeFloatLE(-7, 4);
    const vector = bytesToVector(bytes);
    expect(Array.from(vector)).toEqual([2.5, -7]);
    expect(vector.buffer).not.toBe(pool.buffer);
  });
});
