import { decode as decodePng } from 'fast-png';
import { CodecError } from './codecs/frame';
import { decodeJpeg8 } from './codecs/jpeg-baseline';
import { DEEPLESION_HU_OFFSET, DEFAULT_MAX_IMAGE_PIXELS, HuImage, HuWindow, ImageFormatError } from './hu-image';
import { readImageHeader } from './image-header';
import { decodePng16ToHu } from './png16';

/** DeepLesion 16-bit PNG → HU (value − 32768), spacing unknown (the CSV has it). Anything other than 16-bit greyscale is refused. */
export function decodeDeepLesionPng(bytes: Uint8Array, maxPixels: number = DEFAULT_MAX_IMAGE_PIXELS): HuImage {
  const header = readImageHeader(bytes, maxPixels);
  if (header.format !== 'png' || header.bitDepth !== 16 || header.channels !== 1) {
    throw new ImageFormatError(`expected a 16-bit greyscale PNG (DeepLesion), got ${header.format} ${header.bitDepth}-bit with ${header.channels} channel(s)`);
  }
  const fast = decodePng16ToHu(bytes);
  if (fast) return fast;
  const png = safely(() => decodePng(bytes), 'PNG');
  const raw = png.data as Uint16Array;
  const data = new Float32Array(png.width * png.height);
  for (let i = 0; i < data.length; i++) data[i] = raw[i] - DEEPLESION_HU_OFFSET;
  return { width: png.width, height: png.height, data, spacing: null };
}

/**
 * An 8-bit greyscale image (PNG or JPEG) made by mapping [window.low, window.high] HU onto 0..255.
 * Colour images are accepted only when their channels are equal (a grey picture saved as RGB);
 * the first channel is used. A PNG or JPEG says nothing of spacing (null).
 */
export function decodeGray8(bytes: Uint8Array, window: HuWindow, maxPixels: number = DEFAULT_MAX_IMAGE_PIXELS): HuImage {
  if (!(window.high > window.low)) throw new ImageFormatError('the HU window must have high > low');
  const header = readImageHeader(bytes, maxPixels);
  if (header.bitDepth !== 8) throw new ImageFormatError(`expected an 8-bit image, got ${header.bitDepth}-bit`);
  let width: number;
  let height: number;
  let pixels: Uint8Array | Uint8ClampedArray;
  let channels: number;
  if (header.format === 'png') {
    const png = safely(() => decodePng(bytes), 'PNG');
    if (png.palette) throw new ImageFormatError('palette PNGs are not CT slices');
    ({ width, height, channels } = png);
    pixels = png.data as Uint8Array;
  } else {
    const img = asFormatError(() => decodeJpeg8(bytes));
    ({ width, height, channels } = img);
    pixels = img.samples;
  }
  if (channels >= 3 && !looksGrey(pixels, channels)) {
    throw new ImageFormatError('colour image: a CT slice must be greyscale');
  }
  const scale = (window.high - window.low) / 255;
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = window.low + pixels[i * channels] * scale;
  return { width, height, data, spacing: null };
}

function looksGrey(pixels: Uint8Array | Uint8ClampedArray, channels: number): boolean {
  // JPEG chroma noise makes channels differ slightly; a real colour picture differs a lot.
  const step = Math.max(1, Math.floor(pixels.length / channels / 4096));
  for (let p = 0; p < pixels.length / channels; p += step) {
    const i = p * channels;
    if (Math.abs(pixels[i] - pixels[i + 1]) > 12 || Math.abs(pixels[i] - pixels[i + 2]) > 12) return false;
  }
  return true;
}

function asFormatError<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof CodecError) throw new ImageFormatError(error.message, error.status);
    throw error;
  }
}

function safely<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (error) {
    throw new ImageFormatError(`corrupt ${what}: ${(error as Error).message}`);
  }
}
