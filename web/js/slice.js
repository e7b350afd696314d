// Decodes an uploaded slice in the browser into HU values, so it can be shown in any window:
// 16-bit DeepLesion PNGs (HU + 32768; inflated with DecompressionStream), uncompressed DICOM,
// and 8-bit PNG/JPEG (grey levels standing for a HU range). What cannot be decoded gets a placeholder frame.

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
    if (kind === 'dicom') return { kind, ...decodeDicom(bytes) };
    if (kind === 'png8' || kind === 'jpeg') return { kind, ...(await decode8(file, huWindow8)), spacingMm: null };
  } catch (err) {
    const size = kind === 'png16' ? pngSize(bytes) : { width: 512, height: 512 };
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
  let width = 0, height = 0, colorType = 0, interlace = 0;
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
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
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

/** Uncompressed little-endian DICOM (explicit or implicit VR): size, pixels, rescale, pixel spacing. */
function decodeDicom(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (o, n) => String.fromCharCode(...bytes.subarray(o, o + n)).replace(/[\0 ]+$/, '');
  let pos = 132;
  let explicit = true;
  const tags = {};
  let pixel = null;
  const LONG_VR = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'OD', 'OL', 'UC', 'UR', 'OV']);
  while (pos + 8 <= bytes.length) {
    const group = v.getUint16(pos, true);
    const element = v.getUint16(pos + 2, true);
    const isMeta = group === 0x0002;
    let vr = null, len, head;
    if (isMeta || explicit) {
      vr = text(pos + 4, 2);
      if (LONG_VR.has(vr)) {
        len = v.getUint32(pos + 8, true);
        head = 12;
      } else {
        len = v.getUint16(pos + 6, true);
        head = 8;
      }
    } else {
      len = v.getUint32(pos + 4, true);
      head = 8;
    }
    const tag = (group << 16) | element;
    const start = pos + head;
    if (len === 0xffffffff) {
      if (tag === 0x7fe00010) throw new Error('compressed DICOM pixel data');
      // An undefined-length sequence: skip to its delimiter (FFFE,E0DD).
      let p = start;
      while (p + 8 <= bytes.length && !(v.getUint16(p, true) === 0xfffe && v.getUint16(p + 2, true) === 0xe0dd)) p += 2;
      pos = p + 8;
      continue;
    }
    if (tag === 0x00020010) {
      const ts = text(start, len);
      if (ts === '1.2.840.10008.1.2') explicit = false;
      else if (ts !== '1.2.840.10008.1.2.1') throw new Error(`transfer syntax ${ts} is compressed or big-endian`);
    } else if (tag === 0x7fe00010) {
      pixel = { start, len };
      break;
    } else if (group === 0x0028 || group === 0x0020) {
      tags[tag] = { start, len, vr };
    }
    pos = start + len;
  }
  const us = (t) => (tags[t] ? v.getUint16(tags[t].start, true) : undefined);
  const ds = (t) => (tags[t] ? text(tags[t].start, tags[t].len).split('\\').map(Number) : undefined);
  const height = us(0x00280010), width = us(0x00280011);
  if (!width || !height || !pixel) throw new Error('no image in the DICOM file');
  const bits = us(0x00280100) ?? 16;
  const signed = us(0x00280103) === 1;
  const slope = ds(0x00281053)?.[0] ?? 1;
  const intercept = ds(0x00281052)?.[0] ?? 0;
  const spacing = ds(0x00280030);
  const hu = new Float32Array(width * height);
  for (let i = 0; i < hu.length; i++) {
    const raw = bits === 8 ? bytes[pixel.start + i] : signed ? v.getInt16(pixel.start + 2 * i, true) : v.getUint16(pixel.start + 2 * i, true);
    hu[i] = raw * slope + intercept;
  }
  return { width, height, hu, spacingMm: spacing?.[1] ?? spacing?.[0] ?? null };
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
