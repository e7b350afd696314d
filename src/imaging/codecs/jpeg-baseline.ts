import { CodestreamError, readJpegFrameHeader } from './codestream-header';
import { checkSize, CodecError, FrameLayout, FrameSamples } from './frame';
import { decodeWithWasm, lazyModule } from './wasm-module';

const libjpegTurbo = lazyModule('@cornerstonejs/codec-libjpeg-turbo-8bit', 'decodewasmjs', 'decodewasm');

/**
 * JPEG Baseline (process 1) and JPEG Extended (processes 2 & 4) with 8-bit samples, through libjpeg-turbo.
 * 12-bit Extended is refused: none of the installed codecs decodes 12-bit lossy JPEG (the libjpeg-turbo
 * build is 8-bit only, jpeg-js clamps to 8 bits, jpeg-lossless-decoder-js is lossless only).
 */
export function decodeJpegBaseline(frame: Uint8Array, layout: FrameLayout): FrameSamples {
  const header = jpegHeader(frame, 'JPEG');
  if (header.precision !== 8) {
    throw new CodecError(`JPEG Extended with ${header.precision}-bit samples (1.2.840.10008.1.2.4.51) is not supported; send 8-bit JPEG or a lossless syntax`, 415);
  }
  if (header.sofMarker !== 0xc0 && header.sofMarker !== 0xc1) {
    throw new CodecError(`JPEG frame is not baseline or extended sequential (marker 0xFF${header.sofMarker?.toString(16).toUpperCase()})`, 415);
  }
  checkSize('JPEG', header.width, header.height, header.components, layout);
  const { info, samples } = decodeWithWasm(libjpegTurbo(), 'JPEGDecoder', frame);
  checkSize('JPEG', info.width, info.height, info.componentCount, layout);
  return samples;
}

export function jpegHeader(frame: Uint8Array, what: string) {
  try {
    return readJpegFrameHeader(frame);
  } catch (error) {
    if (error instanceof CodestreamError) throw new CodecError(`corrupt ${what} frame: ${error.message}`);
    throw error;
  }
}
