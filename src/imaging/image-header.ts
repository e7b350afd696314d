import { DEFAULT_MAX_IMAGE_PIXELS, ImageFormatError, MAX_SLICE_SIDE, MIN_SLICE_SIDE } from './hu-image';

export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  bitDepth: number;
  channels: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** PNG spec 11.2.2: the bit depths each colour type allows (16-bit palette, 4-bit RGB and so on are invalid). */
const PNG_BIT_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/**
 * Reads size and depth from the first bytes of a PNG (IHDR) or JPEG (SOF marker) without decoding
 * pixels, so ingest can check thousands of files cheaply, and a decoder can refuse an image before it
 * spends time and memory on it: over `maxPixels`, or with a header the format does not allow.
 */
export function readImageHeader(bytes: Uint8Array, maxPixels: number = DEFAULT_MAX_IMAGE_PIXELS): ImageHeader {
  const header = PNG_SIGNATURE.every((b, i) => bytes[i] === b) ? readPngHeader(bytes) : bytes[0] === 0xff && bytes[1] === 0xd8 ? readJpegHeader(bytes) : null;
  if (!header) throw new ImageFormatError('not a PNG or JPEG image', 415);
  if (header.width < MIN_SLICE_SIDE || header.height < MIN_SLICE_SIDE || header.width > MAX_SLICE_SIDE || header.height > MAX_SLICE_SIDE) {
    throw new ImageFormatError(`implausible slice size ${header.width}x${header.height}`);
  }
  checkPixelBudget(header.width, header.height, maxPixels);
  return header;
}

/** 422 when width × height is over the budget; called before any pixel is decoded. */
export function checkPixelBudget(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new ImageFormatError(
      `the image is ${width}x${height} (${((width * height) / 1e6).toFixed(1)} Mpx), over the limit of ${(maxPixels / 1e6).toFixed(1)} Mpx per image`,
    );
  }
}

function readPngHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length < 33) throw new ImageFormatError('truncated PNG');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunkType = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (chunkType !== 'IHDR') throw new ImageFormatError('PNG without IHDR');
  const bitDepth = bytes[24];
  const colourType = bytes[25];
  const channels = PNG_CHANNELS[colourType];
  if (!channels) throw new ImageFormatError(`PNG colour type ${colourType} is invalid`);
  if (!PNG_BIT_DEPTHS[colourType].includes(bitDepth)) {
    throw new ImageFormatError(`PNG bit depth ${bitDepth} is invalid with colour type ${colourType} (allowed: ${PNG_BIT_DEPTHS[colourType].join(', ')})`);
  }
  const [compression, filter, interlace] = [bytes[26], bytes[27], bytes[28]];
  if (compression !== 0 || filter !== 0 || interlace > 1) {
    throw new ImageFormatError(`PNG header is invalid (compression ${compression}, filter ${filter}, interlace ${interlace})`);
  }
  return { format: 'png', width: view.getUint32(16), height: view.getUint32(20), bitDepth, channels };
}

function readJpegHeader(bytes: Uint8Array): ImageHeader {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) throw new ImageFormatError('corrupt JPEG marker stream');
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return {
        format: 'jpeg',
        bitDepth: bytes[offset + 4],
        height: (bytes[offset + 5] << 8) | bytes[offset + 6],
        width: (bytes[offset + 7] << 8) | bytes[offset + 8],
        channels: bytes[offset + 9],
      };
    }
    offset += 2 + length;
  }
  throw new ImageFormatError('JPEG without a frame header');
}
