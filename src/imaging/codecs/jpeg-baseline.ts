import { CodestreamError, readJpegFrameHeader } from './codestream-header';
import { checkSize, CodecError, FrameLayout, FrameSamples } from './frame';
import { decodeSequentialJpeg } from './jpeg-sequential';
import { CodecUnavailableError, decodeWithWasm, lazyModule } from './wasm-module';

const libjpegTurbo = lazyModule('@cornerstonejs/codec-libjpeg-turbo-8bit', 'decodewasmjs', 'decodewasm');

/**
 * JPEG Baseline (process 1) and JPEG Extended (processes 2 & 4). 8-bit samples go through libjpeg-turbo;
 * 12-bit Extended (what CT archives hold) through our own sequential decoder (jpeg-sequential.ts), since
 * no registry codec decodes 12-bit lossy JPEG (the libjpeg-turbo build is 8-bit only, jpeg-js clamps to
 * 8 bits, jpeg-lossless-decoder-js is lossless only).
 */
export function decodeJpegBaseline(frame: Uint8Array, layout: FrameLayout): FrameSamples {
  const header = jpegHeader(frame, 'JPEG');
  if (header.sofMarker !== 0xc0 && header.sofMarker !== 0xc1) {
    throw new CodecError(`JPEG frame is not baseline or extended sequential (marker 0xFF${header.sofMarker?.toString(16).toUpperCase()})`, 415);
  }
  if (header.precision === 12) return decodeJpegExtended12(frame, layout, header.components);
  if (header.precision !== 8) throw new CodecError(`JPEG with ${header.precision}-bit samples is not baseline or extended (8 or 12 bits)`, 415);
  checkSize('JPEG', header.width, header.height, header.components, layout);
  const { info, samples } = decodeWithWasm(libjpegTurbo(), 'JPEGDecoder', frame);
  checkSize('JPEG', info.width, info.height, info.componentCount, layout);
  return samples;
}

/** An 8-bit JPEG file's samples, interleaved (`channels` per pixel: 1 grey, 3 RGB). */
export interface Jpeg8Image {
  width: number;
  height: number;
  channels: number;
  samples: Uint8Array;
}

/**
 * An uploaded 8-bit JPEG (baseline, extended or progressive), through libjpeg-turbo: 7–10× faster than
 * jpeg-js on a 3500² image (docs/BENCHMARKS.md, fuzz suite), and a grey file stays one channel. The caller
 * has checked the frame header's size against its pixel budget (image-header.ts); a second, different frame
 * header is refused by libjpeg itself, and the decoded size is checked against the first.
 */
export function decodeJpeg8(bytes: Uint8Array): Jpeg8Image {
  const header = jpegHeader(bytes, 'JPEG');
  if (header.precision !== 8) throw new CodecError(`JPEG with ${header.precision}-bit samples: send an 8-bit JPEG`, 415);
  let decoded: ReturnType<typeof decodeWithWasm>;
  try {
    decoded = decodeWithWasm(libjpegTurbo(), 'JPEGDecoder', bytes);
  } catch (error) {
    if (error instanceof CodecUnavailableError) throw error;
    // libjpeg's errors reach JavaScript as a bare number (an Emscripten exception pointer): nothing to quote.
    throw new CodecError(`corrupt JPEG: ${error instanceof Error ? error.message : 'libjpeg-turbo could not decode it'}`);
  }
  const { width, height, componentCount } = decoded.info;
  if (width !== header.width || height !== header.height || decoded.samples.length < width * height * componentCount) {
    throw new CodecError(`corrupt JPEG: decodes to ${width}x${height}, its frame header says ${header.width}x${header.height}`);
  }
  return { width, height, channels: componentCount, samples: decoded.samples };
}

function decodeJpegExtended12(frame: Uint8Array, layout: FrameLayout, components: number): FrameSamples {
  if (components !== 1 || layout.samplesPerPixel !== 1) {
    throw new CodecError(`JPEG Extended with 12-bit samples and ${components} components is not supported; send one component`, 415);
  }
  if (layout.bitsAllocated !== 16) throw new CodecError('12-bit JPEG needs BitsAllocated 16');
  const { samples } = decodeSequentialJpeg(frame, { width: layout.columns, height: layout.rows });
  // Stored values as they were before compression; signed data is sign-extended from BitsStored later.
  return layout.signed ? new Int16Array(samples.buffer, samples.byteOffset, samples.length) : samples;
}

export function jpegHeader(frame: Uint8Array, what: string) {
  try {
    return readJpegFrameHeader(frame);
  } catch (error) {
    if (error instanceof CodestreamError) throw new CodecError(`corrupt ${what} frame: ${error.message}`);
    throw error;
  }
}
