import { checkSize, CodecError, FrameLayout, FrameSamples, samples16 } from './frame';
import { jpegHeader } from './jpeg-baseline';
import { decodeWithWasm, lazyModule } from './wasm-module';

const charls = lazyModule('@cornerstonejs/codec-charls', 'decodewasmjs', 'decodewasm');

/** JPEG-LS lossless and near-lossless, through CharLS. */
export function decodeJpegLs(frame: Uint8Array, layout: FrameLayout): FrameSamples {
  const header = jpegHeader(frame, 'JPEG-LS');
  if (header.sofMarker !== 0xf7) throw new CodecError('JPEG-LS frame has no JPEG-LS start-of-frame marker (0xFFF7)');
  if (header.precision < 2 || header.precision > 16) throw new CodecError(`JPEG-LS frame declares ${header.precision}-bit samples`);
  checkSize('JPEG-LS', header.width, header.height, header.components, layout);
  const { info, samples } = decodeWithWasm(charls(), 'JpegLSDecoder', frame);
  checkSize('JPEG-LS', info.width, info.height, info.componentCount, layout);
  return info.bitsPerSample > 8 ? samples16(samples, layout.rows * layout.columns * layout.samplesPerPixel, layout.signed) : samples;
}
