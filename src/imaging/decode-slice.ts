import { decodeDeepLesionPng, decodeGray8 } from './decode';
import { decodeDicom, DicomSlice, looksLikeDicom } from './dicom';
import { DEFAULT_MAX_IMAGE_PIXELS, HuImage, HuWindow, ImageFormatError, PixelSpacing } from './hu-image';
import { readImageHeader } from './image-header';

export type SliceEncoding = 'auto' | 'png16' | 'gray8' | 'dicom';

export interface DecodedSlice {
  /** The pixels with their spacing: the caller's (options.spacing), else the file's (DICOM), else null (PNG/JPEG). */
  image: HuImage;
  source: 'png16' | 'gray8' | 'dicom';
  uids: { study: string | null; series: string | null; sop: string | null } | null;
  /** The full DICOM header summary (modality, rescale, window, ...) when the source is DICOM. */
  dicom?: DicomSlice;
}

export interface DecodeSliceOptions {
  encoding?: SliceEncoding;
  /** The HU window an 8-bit image was made with; required for gray8, ignored otherwise. */
  window?: HuWindow;
  /** Images over this many pixels are refused from their header, before decoding (default DEFAULT_MAX_IMAGE_PIXELS). */
  maxPixels?: number;
  /** DICOM only: the 0-based frame of a multi-frame file (default 0). */
  frame?: number;
  /**
   * The spacing the caller knows (an upload's spacingMm field, a series row of the archive): it wins over a
   * DICOM header's. Give it through pixelSpacing(), which holds it to the plausible range.
   */
  spacing?: PixelSpacing | null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const UNSUPPORTED = 'send a DeepLesion 16-bit PNG, DICOM, or an 8-bit PNG/JPEG with its HU window';

/**
 * The one entry point for turning uploaded or archived bytes into a HU slice: DICOM, DeepLesion 16-bit PNG
 * (HU = value − 32768) or an 8-bit PNG/JPEG with its declared HU window. Failures are ImageFormatErrors
 * (415 unsupported format, 422 broken or unusable image).
 */
export function decodeSlice(bytes: Uint8Array, options: DecodeSliceOptions = {}): DecodedSlice {
  const encoding = options.encoding ?? 'auto';
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const source = encoding === 'auto' ? detectEncoding(bytes, maxPixels) : encoding;
  const spacing = options.spacing ?? null;
  switch (source) {
    case 'dicom': {
      // Checks the header's sizes, spacing, rescale and window before decoding any pixel.
      const dicom = decodeDicom(bytes, { maxPixels, frame: options.frame });
      return {
        image: { width: dicom.width, height: dicom.height, data: dicom.data, spacing: spacing ?? dicom.spacing },
        source,
        uids: dicom.uids,
        dicom,
      };
    }
    case 'png16':
      return { image: { ...decodeDeepLesionPng(bytes, maxPixels), spacing }, source, uids: null };
    case 'gray8':
      if (!options.window) {
        throw new ImageFormatError('an 8-bit image needs a declared HU window (e.g. -1024..3071 for DeepLesion key slices)', 422);
      }
      return { image: { ...decodeGray8(bytes, options.window, maxPixels), spacing }, source, uids: null };
    default:
      throw new ImageFormatError(`unknown slice encoding ${String(source)}`, 415);
  }
}

/** Sniffs the format from the first bytes; throws 415 for anything that is not a supported slice format. */
export function detectEncoding(bytes: Uint8Array, maxPixels: number = DEFAULT_MAX_IMAGE_PIXELS): 'png16' | 'gray8' | 'dicom' {
  if (looksLikeDicom(bytes)) return 'dicom';
  const isPng = bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) throw new ImageFormatError(`unsupported image format: ${UNSUPPORTED}`, 415);
  const header = readImageHeader(bytes, maxPixels); // 422 for truncated or implausibly sized images
  if (header.bitDepth === 16 && header.format === 'png') return 'png16';
  if (header.bitDepth === 8) return 'gray8';
  throw new ImageFormatError(`unsupported image format (${header.format.toUpperCase()} ${header.bitDepth}-bit): ${UNSUPPORTED}`, 415);
}
