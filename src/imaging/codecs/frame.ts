/** What a codec needs to know about the frame it decodes, from the (already range-checked) DICOM header. */
export interface FrameLayout {
  rows: number;
  columns: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  /** 3 only for 8-bit colour-encoded grey pictures (e.g. img2dcm's YBR_FULL_422 JPEG); samples interleaved. */
  samplesPerPixel: 1 | 3;
  signed: boolean;
}

/** One decoded frame: samplesPerPixel integer samples per pixel (interleaved), row-major. */
export type FrameSamples = Uint8Array | Uint16Array | Int16Array;

/** A refusal from a codec: 415 when the stream is a kind we cannot decode, 422 when it is broken. */
export class CodecError extends Error {
  constructor(
    message: string,
    readonly status: 415 | 422 = 422,
  ) {
    super(message);
  }
}

/** Copies 16-bit little-endian bytes into samples of the right signedness (the bytes may be unaligned). */
export function samples16(bytes: Uint8Array, pixels: number, signed: boolean): Uint16Array | Int16Array {
  if (bytes.length < pixels * 2) throw new CodecError(`frame decodes to ${bytes.length} bytes, Rows x Columns needs ${pixels * 2}`);
  const out = signed ? new Int16Array(pixels) : new Uint16Array(pixels);
  new Uint8Array(out.buffer).set(bytes.subarray(0, pixels * 2));
  return out;
}

/** The decoded size must be the header's; checked before the decoder allocates, and after. */
export function checkSize(what: string, width: number, height: number, components: number, layout: FrameLayout): void {
  if (width !== layout.columns || height !== layout.rows) {
    throw new CodecError(`${what} frame is ${width}x${height} but the DICOM header says Columns x Rows ${layout.columns}x${layout.rows}`);
  }
  if (components !== layout.samplesPerPixel) {
    throw new CodecError(`${what} frame has ${components} components but the DICOM header says SamplesPerPixel ${layout.samplesPerPixel}`);
  }
}
