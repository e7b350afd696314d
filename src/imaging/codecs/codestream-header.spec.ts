import { CodestreamError, readJ2kHeader, readJpegFrameHeader } from './codestream-header';
import { encodeJpeg2000, encodeJpegLs } from './wasm-encoders.testing';

// Big enough for OpenJPEG's default five decomposition levels (32 pixels a side).
const frame = { width: 64, height: 40, values: Array.from({ length: 64 * 40 }, (_, i) => i % 4096), bitsPerSample: 12, signed: false };

describe('codestream headers', () => {
  it('reads size, precision and components of a JPEG-LS stream (SOF55)', () => {
    expect(readJpegFrameHeader(encodeJpegLs(frame))).toEqual({ width: 64, height: 40, precision: 12, components: 1, sofMarker: 0xf7 });
  });

  it('reads the SIZ segment of a JPEG 2000 codestream', () => {
    expect(readJ2kHeader(encodeJpeg2000(frame))).toEqual({ width: 64, height: 40, precision: 12, components: 1, sofMarker: null });
  });

  it('reads a hand-written JPEG frame header after other segments and fill bytes', () => {
    // SOI, APP0 (length 4), fill byte, SOF1 12-bit 3000x2000 one component.
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 1, 2, 0xff, 0xff, 0xc1, 0, 11, 12, 0x07, 0xd0, 0x0b, 0xb8, 1, 1, 0x11, 0]);
    expect(readJpegFrameHeader(bytes)).toEqual({ width: 3000, height: 2000, precision: 12, components: 1, sofMarker: 0xc1 });
  });

  it('refuses streams without the markers or cut before the frame header', () => {
    expect(() => readJpegFrameHeader(new Uint8Array(16))).toThrow(CodestreamError);
    expect(() => readJpegFrameHeader(encodeJpegLs(frame).subarray(0, 6))).toThrow(/ends before its frame header/);
    expect(() => readJpegFrameHeader(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 8, 0, 0, 0, 0]))).toThrow(/no frame header before its scan/);
    expect(() => readJ2kHeader(new Uint8Array(64))).toThrow(/no JPEG 2000 start-of-codestream/);
    expect(() => readJ2kHeader(encodeJpeg2000(frame).subarray(0, 20))).toThrow(CodestreamError);
  });
});
