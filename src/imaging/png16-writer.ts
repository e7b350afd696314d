import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import { DEEPLESION_HU_OFFSET, HuImage } from './hu-image';

const deflateAsync = promisify(deflate);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const part of parts) for (let i = 0; i < part.length; i++) c = CRC_TABLE[(c ^ part[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32([head.subarray(4), data]), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A HU slice as a DeepLesion 16-bit greyscale PNG (HU + 32768, rounded, clamped to 0..65535): the format the
 * browser already reads, so it can window what the server decoded. The deflate runs on libuv's thread pool,
 * off the event loop.
 */
export async function huToPng16(image: HuImage): Promise<Buffer> {
  const { width, height, data } = image;
  const rowBytes = 1 + width * 2;
  const raw = Buffer.alloc(rowBytes * height); // filter byte 0 (none) at each row's start
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.min(65535, Math.max(0, Math.round(data[y * width + x] + DEEPLESION_HU_OFFSET)));
      raw.writeUInt16BE(v, y * rowBytes + 1 + 2 * x);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([16, 0, 0, 0, 0], 8); // 16-bit, greyscale, deflate, adaptive filtering, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', await deflateAsync(raw, { level: 1 })), chunk('IEND', new Uint8Array(0))]);
}
