import { deflateSync } from 'node:zlib';
import { encode } from 'fast-png';
import { decodeDeepLesionPng } from './decode';
import { ImageFormatError } from './hu-image';
import { decodePng16ToHu } from './png16';

/** A 16-bit greyscale PNG whose rows use the given filter types in turn (fast-png only writes filter 0). */
function pngWithFilters(width: number, height: number, values: Uint16Array, filters: number[]): Uint8Array {
  const stride = width * 2;
  const rows: number[] = [];
  const rowBytes = (y: number) => {
    const r = new Uint8Array(stride);
    for (let x = 0; x < width; x++) {
      r[2 * x] = values[y * width + x] >> 8;
      r[2 * x + 1] = values[y * width + x] & 0xff;
    }
    return r;
  };
  for (let y = 0; y < height; y++) {
    const f = filters[y % filters.length];
    const cur = rowBytes(y);
    const up = y ? rowBytes(y - 1) : new Uint8Array(stride);
    rows.push(f);
    for (let i = 0; i < stride; i++) {
      const a = i >= 2 ? cur[i - 2] : 0;
      const b = up[i];
      const c = i >= 2 ? up[i - 2] : 0;
      const predictor = [
        0,
        a,
        b,
        (a + b) >> 1,
        (() => {
          const p = a + b - c;
          const pa = Math.abs(p - a),
            pb = Math.abs(p - b),
            pc = Math.abs(p - c);
          return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        })(),
      ][f];
      rows.push((cur[i] - predictor) & 0xff);
    }
  }
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    Buffer.from(data).copy(out, 8);
    return out; // CRC left zero: the decoder does not check it
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 16;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', new Uint8Array()),
  ]);
}

describe('decodePng16ToHu', () => {
  const width = 23;
  const height = 17;
  const values = Uint16Array.from({ length: width * height }, (_, i) => (i * 7919 + (i % 13) * 4099) & 0xffff);

  it('undoes every scanline filter exactly', () => {
    const image = decodePng16ToHu(pngWithFilters(width, height, values, [0, 1, 2, 3, 4]))!;
    expect(image.width).toBe(width);
    expect(Array.from(image.data)).toEqual(Array.from(values, (v) => v - 32768));
  });

  it('agrees with the general decoder on fast-png output', () => {
    const bytes = encode({ width, height, data: values, depth: 16, channels: 1 });
    expect(Array.from(decodePng16ToHu(bytes)!.data)).toEqual(Array.from(decodeDeepLesionPng(bytes).data));
  });

  it('declines PNGs it does not handle and refuses corrupt data', () => {
    expect(decodePng16ToHu(encode({ width, height, data: new Uint8Array(width * height), depth: 8, channels: 1 }))).toBeNull();
    const broken = pngWithFilters(width, height, values, [0]);
    broken[broken.length - 20] ^= 0xff;
    expect(() => decodePng16ToHu(broken)).toThrow(ImageFormatError);
    expect(() => decodePng16ToHu(pngWithFilters(width, height, values, [7]))).toThrow(/filter type 7/);
  });
});
