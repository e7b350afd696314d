import { FrameLayout, FrameSamples, CodecError } from './frame';
import { decodeJpeg2000, decodeHtj2k } from './jpeg-2000';
import { decodeJpegBaseline } from './jpeg-baseline';
import { decodeJpegLossless } from './jpeg-lossless';
import { decodeJpegLs } from './jpeg-ls';
import { readNativeFrame } from './native';
import { decodeRleFrame, RleError } from './rle';

export const TRANSFER_SYNTAXES = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflated: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSv1: '1.2.840.10008.1.2.4.70',
  jpegLsLossless: '1.2.840.10008.1.2.4.80',
  jpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  jpeg2000: '1.2.840.10008.1.2.4.91',
  htj2kLossless: '1.2.840.10008.1.2.4.201',
  htj2kLosslessRpcl: '1.2.840.10008.1.2.4.202',
  htj2k: '1.2.840.10008.1.2.4.203',
  rle: '1.2.840.10008.1.2.5',
} as const;

/** How one transfer syntax's pixel data is laid out and decoded. */
export interface PixelCodec {
  name: string;
  /** Pixel data in fragments (compressed) rather than one native value. */
  encapsulated: boolean;
  /** Native data sets only: byte order of the pixel data. */
  littleEndian?: boolean;
  /** Colour frames come out as RGB whatever the photometric interpretation says (the codec undoes YCbCr / MCT). */
  outputsRgb?: boolean;
  /** Decodes one frame's bytes (native: the frame's slice of the value; encapsulated: its fragments joined). */
  decode(frame: Uint8Array, layout: FrameLayout): FrameSamples;
}

const native = (name: string, littleEndian: boolean): PixelCodec => ({
  name,
  encapsulated: false,
  littleEndian,
  decode: (frame, layout) => readNativeFrame(frame, layout, littleEndian),
});

const rle = (frame: Uint8Array, layout: FrameLayout): FrameSamples => {
  let bytes: Uint8Array;
  try {
    bytes = decodeRleFrame(frame, layout.rows * layout.columns, layout.bitsAllocated / 8, layout.samplesPerPixel);
  } catch (error) {
    if (error instanceof RleError) throw new CodecError(`corrupt RLE frame: ${error.message}`);
    throw error;
  }
  return readNativeFrame(bytes, layout, true);
};

const T = TRANSFER_SYNTAXES;

/** The compressed syntaxes by decoder: whether its colour frames come out as RGB, and each syntax it reads (UID: name). */
const COMPRESSED: { decode: PixelCodec['decode']; outputsRgb: boolean; syntaxes: Record<string, string> }[] = [
  { decode: decodeJpegBaseline, outputsRgb: true, syntaxes: { [T.jpegBaseline]: 'JPEG Baseline', [T.jpegExtended]: 'JPEG Extended' } },
  { decode: decodeJpegLossless, outputsRgb: false, syntaxes: { [T.jpegLossless]: 'JPEG Lossless', [T.jpegLosslessSv1]: 'JPEG Lossless SV1' } },
  { decode: decodeJpegLs, outputsRgb: false, syntaxes: { [T.jpegLsLossless]: 'JPEG-LS Lossless', [T.jpegLsNearLossless]: 'JPEG-LS Near-Lossless' } },
  { decode: decodeJpeg2000, outputsRgb: true, syntaxes: { [T.jpeg2000Lossless]: 'JPEG 2000 Lossless', [T.jpeg2000]: 'JPEG 2000' } },
  {
    decode: decodeHtj2k,
    outputsRgb: true,
    syntaxes: { [T.htj2kLossless]: 'HTJ2K Lossless', [T.htj2kLosslessRpcl]: 'HTJ2K Lossless RPCL', [T.htj2k]: 'HTJ2K' },
  },
  { decode: rle, outputsRgb: false, syntaxes: { [T.rle]: 'RLE Lossless' } },
];

/** Transfer syntax UID → codec, for every syntax a CT archive holds. */
export const PIXEL_CODECS: ReadonlyMap<string, PixelCodec> = new Map([
  [T.implicitLittle, native('Implicit VR Little Endian', true)],
  [T.explicitLittle, native('Explicit VR Little Endian', true)],
  // Inflated by the parser (bounded), then native little endian.
  [T.deflated, native('Deflated Explicit VR Little Endian', true)],
  [T.explicitBig, native('Explicit VR Big Endian', false)],
  ...COMPRESSED.flatMap(({ decode, outputsRgb, syntaxes }) =>
    Object.entries(syntaxes).map(([uid, name]): [string, PixelCodec] => [uid, { name, encapsulated: true, decode, outputsRgb }]),
  ),
]);
