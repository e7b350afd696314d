import { lazyModule } from './wasm-module';

/**
 * The encoders of the same WASM codec builds, for tests and benchmarks: Debian's dcmtk writes no JPEG 2000
 * or HTJ2K, so those frames are encoded here and wrapped in DICOM by dicom-writer.testing.ts.
 */
interface WasmEncoder {
  getDecodedBuffer(info: {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
    isUsingColorTransform?: boolean;
  }): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
  setQuality?(lossless: boolean, quantizationStep: number): void;
  setNearLossless?(near: number): void;
  delete(): void;
}

const openjpeg = lazyModule('@cornerstonejs/codec-openjpeg', 'wasmjs', 'wasm');
const openjph = lazyModule('@cornerstonejs/codec-openjph', 'wasmjs', 'wasm');
const charls = lazyModule('@cornerstonejs/codec-charls', 'wasmjs', 'wasm');

export interface GreyFrame {
  width: number;
  height: number;
  /** Stored values, one per pixel. */
  values: ArrayLike<number>;
  bitsPerSample: number;
  signed: boolean;
}

function encode(module: Record<string, unknown>, className: string, frame: GreyFrame, configure: (encoder: WasmEncoder) => void): Uint8Array {
  const Encoder = module[className] as new () => WasmEncoder;
  const encoder = new Encoder();
  try {
    const info = {
      width: frame.width,
      height: frame.height,
      bitsPerSample: frame.bitsPerSample,
      componentCount: 1,
      isSigned: frame.signed,
      isUsingColorTransform: false,
    };
    const input = encoder.getDecodedBuffer(info);
    const bytesPerSample = frame.bitsPerSample > 8 ? 2 : 1;
    const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    for (let i = 0; i < frame.values.length; i++) {
      if (bytesPerSample === 2) view.setUint16(2 * i, frame.values[i] & 0xffff, true);
      else view.setUint8(i, frame.values[i] & 0xff);
    }
    configure(encoder);
    encoder.encode();
    return new Uint8Array(encoder.getEncodedBuffer());
  } finally {
    encoder.delete();
  }
}

/** JPEG 2000 codestream; lossy with a quantization step when `lossless` is false. */
export function encodeJpeg2000(frame: GreyFrame, lossless = true): Uint8Array {
  return encode(openjpeg(), 'J2KEncoder', frame, (e) => e.setQuality!(lossless, lossless ? 0 : 0.001));
}

/** HTJ2K codestream; lossy with a quantization step when `lossless` is false. */
export function encodeHtj2k(frame: GreyFrame, lossless = true): Uint8Array {
  return encode(openjph(), 'HTJ2KEncoder', frame, (e) => e.setQuality!(lossless, lossless ? 0 : 0.001));
}

/** JPEG-LS codestream; near-lossless with NEAR = `near` when above 0. */
export function encodeJpegLs(frame: GreyFrame, near = 0): Uint8Array {
  return encode(charls(), 'JpegLSEncoder', frame, (e) => e.setNearLossless!(near));
}
