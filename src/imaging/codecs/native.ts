import { FrameLayout, FrameSamples, samples16 } from './frame';

/** An uncompressed frame (native pixel data) as samples; big-endian 16-bit data is byte-swapped. */
export function readNativeFrame(bytes: Uint8Array, layout: FrameLayout, littleEndian: boolean): FrameSamples {
  const pixels = layout.rows * layout.columns * layout.samplesPerPixel;
  if (layout.bitsAllocated === 8) return bytes.subarray(0, pixels);
  if (littleEndian) return samples16(bytes, pixels, layout.signed);
  const swapped = new Uint8Array(pixels * 2);
  for (let i = 0; i < swapped.length; i += 2) {
    swapped[i] = bytes[i + 1];
    swapped[i + 1] = bytes[i];
  }
  return samples16(swapped, pixels, layout.signed);
}
