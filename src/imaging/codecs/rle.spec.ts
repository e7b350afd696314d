import { decodeRleFrame, RleError } from './rle';

/** PackBits: repeat runs for 3+ equal bytes, literal runs otherwise (at most 128 a run). */
function packBits(bytes: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let run = 1;
    while (i + run < bytes.length && bytes[i + run] === bytes[i] && run < 128) run++;
    if (run >= 3) {
      out.push(257 - run, bytes[i]);
      i += run;
      continue;
    }
    const start = i;
    while (i < bytes.length && i - start < 128 && !(i + 2 < bytes.length && bytes[i] === bytes[i + 1] && bytes[i] === bytes[i + 2])) i++;
    out.push(i - start - 1, ...bytes.slice(start, i));
  }
  return out;
}

/** A DICOM RLE frame: header with the segment offsets, then the segments (most significant byte plane first). */
function rleFrame(segments: number[][]): Uint8Array {
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((segment, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += segment.length;
  });
  return new Uint8Array([...header, ...segments.flat()]);
}

describe('decodeRleFrame', () => {
  it('decodes 16-bit samples from two byte planes into little-endian bytes', () => {
    const values = Array.from({ length: 300 }, (_, i) => (i < 100 ? 0x0400 : (i * 131) & 0xffff));
    const high = packBits(values.map((v) => v >> 8));
    const low = packBits(values.map((v) => v & 0xff));
    const bytes = decodeRleFrame(rleFrame([high, low]), values.length, 2, 1);
    const view = new DataView(bytes.buffer);
    expect(Array.from({ length: values.length }, (_, i) => view.getUint16(2 * i, true))).toEqual(values);
    // The repeat runs made the segment shorter than the plane.
    expect(high.length).toBeLessThan(values.length);
  });

  it('decodes 8-bit samples and skips the no-op byte 128', () => {
    const values = [5, 5, 5, 5, 7, 8, 9];
    const segment = [128, ...packBits(values)];
    expect(Array.from(decodeRleFrame(rleFrame([segment]), values.length, 1, 1))).toEqual(values);
  });

  it('refuses frames whose segments do not match the header or run past their end', () => {
    const plane = packBits(new Array(16).fill(1));
    const refuse = (run: () => unknown, message: RegExp) => {
      expect(run).toThrow(RleError);
      expect(run).toThrow(message);
    };
    refuse(() => decodeRleFrame(new Uint8Array(10), 16, 1, 1), /shorter than its 64-byte header/);
    refuse(() => decodeRleFrame(rleFrame([plane]), 16, 2, 1), /1 segments, the header's pixel format needs 2/);
    refuse(() => decodeRleFrame(rleFrame([plane]), 17, 1, 1), /decodes to 16 bytes, the frame needs 17/);
    refuse(() => decodeRleFrame(rleFrame([plane]), 15, 1, 1), /runs past its end/);
    refuse(() => decodeRleFrame(rleFrame([[127, 1, 2]]), 128, 1, 1), /runs past its end/); // literal run longer than the data
    const badOffset = rleFrame([plane]);
    new DataView(badOffset.buffer).setUint32(4, 10_000, true);
    refuse(() => decodeRleFrame(badOffset, 16, 1, 1), /offsets outside the frame/);
  });
});
