import { checkSize, CodecError, FrameLayout, FrameSamples } from './frame';
import { jpegHeader } from './jpeg-baseline';

// The package ships no type declarations; this is the one method used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Decoder } = require('jpeg-lossless-decoder-js') as {
  Decoder: new () => { decode(buffer: ArrayBuffer, offset: number, length: number, bytesPerSample: number): Uint8Array | Uint16Array };
};

/** JPEG Lossless, process 14 (any predictor) and its selection-value-1 form, through jpeg-lossless-decoder-js. */
export function decodeJpegLossless(frame: Uint8Array, layout: FrameLayout): FrameSamples {
  const header = jpegHeader(frame, 'JPEG Lossless');
  if (header.sofMarker !== 0xc3) {
    throw new CodecError(
      `JPEG Lossless frame has start-of-frame marker 0xFF${header.sofMarker?.toString(16).toUpperCase()}, not 0xFFC3 (lossless Huffman)`,
      415,
    );
  }
  if (header.precision < 2 || header.precision > 16) throw new CodecError(`JPEG Lossless frame declares ${header.precision}-bit samples`);
  checkSize('JPEG Lossless', header.width, header.height, header.components, layout);
  const bytesPerSample = header.precision > 8 ? 2 : 1;
  const decoded = new Decoder().decode(frame.buffer as ArrayBuffer, frame.byteOffset, frame.byteLength, bytesPerSample);
  const pixels = layout.rows * layout.columns * layout.samplesPerPixel;
  if (decoded.length < pixels) throw new CodecError('JPEG Lossless frame decodes to fewer pixels than Rows x Columns');
  if (decoded instanceof Uint16Array && layout.signed) return new Int16Array(decoded.buffer, decoded.byteOffset, pixels);
  return decoded.subarray(0, pixels);
}
