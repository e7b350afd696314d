import { CodestreamError, readJ2kHeader } from './codestream-header';
import { checkSize, CodecError, FrameLayout, FrameSamples, samples16 } from './frame';
import { decodeWithWasm, lazyModule, WasmModule } from './wasm-module';

const openjpeg = lazyModule('@cornerstonejs/codec-openjpeg', 'decodewasmjs', 'decodewasm');
const openjph = lazyModule('@cornerstonejs/codec-openjph', 'wasmjs', 'wasm');

/** JPEG 2000 (lossless and lossy), through OpenJPEG. */
export function decodeJpeg2000(frame: Uint8Array, layout: FrameLayout): FrameSamples {
  return decodeJ2k('JPEG 2000', openjpeg(), 'J2KDecoder', frame, layout);
}

/** High-Throughput JPEG 2000 (lossless, RPCL, lossy), through OpenJPH. */
export function decodeHtj2k(frame: Uint8Array, layout: FrameLayout): FrameSamples {
  return decodeJ2k('HTJ2K', openjph(), 'HTJ2KDecoder', frame, layout);
}

function decodeJ2k(what: string, module: WasmModule, className: string, frame: Uint8Array, layout: FrameLayout): FrameSamples {
  let header;
  try {
    header = readJ2kHeader(frame);
  } catch (error) {
    if (error instanceof CodestreamError) throw new CodecError(`corrupt ${what} frame: ${error.message}`);
    throw error;
  }
  if (header.precision > 16) throw new CodecError(`${what} frame declares ${header.precision}-bit samples`);
  checkSize(what, header.width, header.height, header.components, layout);
  const { info, samples } = decodeWithWasm(module, className, frame);
  checkSize(what, info.width, info.height, info.componentCount, layout);
  const pixels = layout.rows * layout.columns * layout.samplesPerPixel;
  if (info.bitsPerSample <= 8) return samples.subarray(0, pixels);
  // Signed codestreams decode to two's complement; the stored-value mask and sign extension handle both.
  return samples16(samples, pixels, layout.signed || info.isSigned === true);
}
