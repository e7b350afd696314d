/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header with up to 15 segment offsets, one PackBits
 * segment per byte plane (most significant byte first) per sample. Decodes one frame into little-endian
 * native layout (what the uncompressed path reads), never writing past `rows × columns` a segment.
 */
export class RleError extends Error {}

export function decodeRleFrame(frame: Uint8Array, pixels: number, bytesPerSample: number, samplesPerPixel: number): Uint8Array {
  if (frame.length < 64) throw new RleError('RLE frame is shorter than its 64-byte header');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const expected = bytesPerSample * samplesPerPixel;
  if (segments !== expected) throw new RleError(`RLE frame has ${segments} segments, the header's pixel format needs ${expected}`);
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || end > frame.length || end < start) throw new RleError(`RLE segment ${s + 1} has offsets outside the frame`);
    // Segment s holds byte (bytesPerSample − 1 − s % bytesPerSample) of sample ⌊s / bytesPerSample⌋.
    const sample = Math.floor(s / bytesPerSample);
    const byte = bytesPerSample - 1 - (s % bytesPerSample);
    unpackBits(frame, start, end, out, sample * bytesPerSample + byte, expected, pixels, s + 1);
  }
  return out;
}

/** PackBits into every `stride`-th byte of `out` from `first`; exactly `count` bytes or an error. */
function unpackBits(input: Uint8Array, start: number, end: number, out: Uint8Array, first: number, stride: number, count: number, segment: number): void {
  let p = start;
  let written = 0;
  let o = first;
  while (p < end && written < count) {
    const n = input[p++];
    if (n < 128) {
      // n + 1 literal bytes
      const run = n + 1;
      if (p + run > end || written + run > count) throw new RleError(`RLE segment ${segment} runs past its end`);
      for (let i = 0; i < run; i++, o += stride) out[o] = input[p + i];
      p += run;
      written += run;
    } else if (n > 128) {
      // the next byte 257 − n times
      const run = 257 - n;
      if (p >= end || written + run > count) throw new RleError(`RLE segment ${segment} runs past its end`);
      const value = input[p++];
      for (let i = 0; i < run; i++, o += stride) out[o] = value;
      written += run;
    }
    // n = 128 is a no-op
  }
  if (written < count) throw new RleError(`RLE segment ${segment} decodes to ${written} bytes, the frame needs ${count}`);
}
