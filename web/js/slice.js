// Decodes an uploaded slice in the browser into HU values, so it can be shown in any window:
// 16-bit DeepLesion PNGs (HU + 32768; inflated with DecompressionStream) and 8-bit PNG/JPEG (grey levels
// standing for a HU range). DICOM (any transfer syntax, frames, padding, rescale) is decoded by the server
// (POST uploads/preview answers a 16-bit PNG), so the browser shows exactly what search and detection see.
// What cannot be decoded gets a placeholder frame.
import { request } from './api.js';

export const DISPLAY_WINDOWS = {
  soft: [-160, 240],
  lung: [-1350, 150],
  bone: [-450, 1050],
  liver: [-15, 165],
  wide: [-1024, 3071],
};

/** Peeks at the bytes: 'png16' | 'png8' | 'jpeg' | 'dicom' | 'unknown'. */
export function sniff(bytes) {
  if (bytes.length > 26 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return bytes[24] === 16 ? 'png16' : 'png8';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpeg';
  if (bytes.length > 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM') return 'dicom';
  return 'unknown';
}

/**
 * {kind, width, height, hu: Float32Array|null, spacingMm: number|null, note}. `hu` is null when the pixels
 * could not be decoded here (the server still can): the UI shows a placeholder frame of the right size.
 */
export async function decodeSlice(file, huWindow8 = [-1024, 3071]) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const kind = sniff(bytes);
  try {
    if (kind === 'png16') return { kind, ...(await decodePng16(bytes)), spacingMm: null };
    if (kind === 'dicom') return { kind, ...(await serverPreview(file)) };
    if (kind === 'png8' || kind === 'jpeg') return { kind, ...(await decode8(file, huWindow8)), spacingMm: null };
  } catch (err) {
    const size = kind === 'png16' ? pngSize(bytes) : { width: 512, height: 512 };
    if (kind === 'dicom') return { kind, ...size, hu: null, spacingMm: null, note: `The server cannot read this DICOM file: ${err.message}` };
    return { kind, ...size, hu: null, spacingMm: null, note: `This file cannot be shown in the browser (${err.message}); the server can still read it.` };
  }
  return { kind, width: 512, height: 512, hu: null, spacingMm: null, note: 'Unknown file type: expected PNG, JPEG or DICOM.' };
}

function pngSize(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

async function inflate(data) {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function decodePng16(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0,
    height = 0,
    colorType = 0,
    interlace = 0;
  const idat = [];
  while (pos + 8 <= bytes.length) {
    const len = v.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = v.getUint32(pos + 8);
      height = v.getUint32(pos + 12);
      colorType = bytes[pos + 17];
      interlace = bytes[pos + 20];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  if (colorType !== 0 || interlace !== 0) throw new Error('only non-interlaced greyscale 16-bit PNGs are decoded here');
  const raw = await inflate(new Blob(idat));
  const bpp = 2;
  const stride = width * bpp;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[dst + x - bpp] : 0;
      const b = y > 0 ? out[dst - stride + x] : 0;
      const c = x >= bpp && y > 0 ? out[dst - stride + x - bpp] : 0;
      let p = raw[src + x];
      if (filter === 1) p += a;
      else if (filter === 2) p += b;
      else if (filter === 3) p += (a + b) >> 1;
      else if (filter === 4) {
        const pa = Math.abs(b - c),
          pb = Math.abs(a - c),
          pc = Math.abs(a + b - 2 * c);
        p += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[dst + x] = p & 0xff;
    }
  }
  const hu = new Float32Array(width * height);
  for (let i = 0; i < hu.length; i++) hu[i] = ((out[2 * i] << 8) | out[2 * i + 1]) - 32768; // DeepLesion: HU + 32768
  return { width, height, hu };
}

async function decode8(file, [low, high]) {
  const bitmap = await createImageBitmap(file);
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const hu = new Float32Array(width * height);
  const scale = (high - low) / 255;
  for (let i = 0; i < hu.length; i++) hu[i] = low + rgba[4 * i] * scale;
  return { width, height, hu };
}

/** The server's decode of a DICOM upload: a DeepLesion 16-bit PNG and the file's pixel spacing. */
async function serverPreview(file) {
  const form = new FormData();
  form.append('file', file);
  const res = await request('uploads/preview', { method: 'POST', body: form });
  const spacing = Number(res.headers.get('X-Pixel-Spacing-Mm'));
  return { ...(await decodePng16(new Uint8Array(await res.arrayBuffer()))), spacingMm: spacing > 0 ? spacing : null };
}

/** HU → grey ImageData in a window [low, high]. */
export function windowed(slice, [low, high]) {
  const img = new ImageData(slice.width, slice.height);
  const scale = 255 / (high - low);
  for (let i = 0; i < slice.hu.length; i++) {
    const g = Math.max(0, Math.min(255, (slice.hu[i] - low) * scale));
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = g;
    img.data[4 * i + 3] = 255;
  }
  return img;
}
