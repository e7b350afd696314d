import { endianness } from 'node:os';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { DEEPLESION_HU_OFFSET, HuImage } from './hu-image';

const deflateAsync = promisify(zlib.deflate);

/** Pixels converted between two turns of the event loop: a few ms each, so a 3500² preview never holds it for long. */
const PIXELS_PER_TURN = 1 << 18;
const LITTLE_ENDIAN = endianness() === 'LE';

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
  // Native where Node has it (20.15+): the JS loop over a large IDAT was tens of ms on the event loop.
  if (typeof zlib.crc32 === 'function') return parts.reduce((value, part) => zlib.crc32(part, value), 0) >>> 0;
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
 * off the event loop; the pixel conversion yields to the loop every PIXELS_PER_TURN pixels (the fuzz run's
 * event-loop stall log put the upload preview first among the blockers when it ran in one piece).
 */
export async function huToPng16(image: HuImage): Promise<Buffer> {
  const { width, height, data } = image;
  const rowBytes = 1 + width * 2;
  const raw = Buffer.alloc(rowBytes * height); // filter byte 0 (none) at each row's start
  const rowsPerTurn = Math.max(1, Math.floor(PIXELS_PER_TURN / Math.max(1, width)));
  const row = new Uint16Array(width);
  const rowAsBytes = Buffer.from(row.buffer, row.byteOffset, row.byteLength);
  for (let y = 0; y < height; y++) {
    if (y > 0 && y % rowsPerTurn === 0) await yieldToLoop();
    const offset = y * width;
    // Uint16Array clamps nothing and truncates: clamp and round here (as before), then swap to big-endian natively.
    for (let x = 0; x < width; x++) row[x] = Math.min(65535, Math.max(0, Math.round(data[offset + x] + DEEPLESION_HU_OFFSET)));
    if (LITTLE_ENDIAN) rowAsBytes.swap16();
    raw.set(rowAsBytes, y * rowBytes + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([16, 0, 0, 0, 0], 8); // 16-bit, greyscale, deflate, adaptive filtering, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', await deflateAsync(raw, { level: 1 })), chunk('IEND', new Uint8Array(0))]);
}
