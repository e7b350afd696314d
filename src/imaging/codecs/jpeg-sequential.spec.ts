import { thrown } from '../../common/thrown.testing';
import { CodecError } from './frame';
import { decodeSequentialJpeg } from './jpeg-sequential';

const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];

/**
 * A hand-made 12-bit sequential JPEG: a flat quantisation table (`quant`); a DC table whose codes "0" and "10" mean
 * categories 0 and 2; an AC table whose only code "0" is end-of-block. `scan` is the entropy-coded data.
 */
function jpeg12({ width = 8, height = 8, sof = 0xc1, precision = 12, components = 1, restart = 0, scan = [0x3f], quant = 1 } = {}): Uint8Array {
  const dqt = segment(0xdb, [0x00, ...new Array(64).fill(quant)]);
  const dhtDc = segment(0xc4, [0x00, 1, 1, ...new Array(14).fill(0), 0, 2]);
  const dhtAc = segment(0xc4, [0x10, 1, ...new Array(15).fill(0), 0x00]);
  const componentSpecs = Array.from({ length: components }, (_, i) => [i + 1, 0x11, 0]).flat();
  const sofSegment = segment(sof, [precision, height >> 8, height & 255, width >> 8, width & 255, components, ...componentSpecs]);
  const dri = restart ? segment(0xdd, [restart >> 8, restart & 255]) : [];
  const sos = segment(0xda, [1, 1, 0x00, 0, 63, 0]);
  return Uint8Array.from([0xff, 0xd8, ...dqt, ...dhtDc, ...dhtAc, ...sofSegment, ...dri, ...sos, ...scan, 0xff, 0xd9]);
}

const refusal = (bytes: Uint8Array, expected = { width: 8, height: 8 }) => thrown(CodecError, () => decodeSequentialJpeg(bytes, expected));

describe('decodeSequentialJpeg (12-bit JPEG Extended)', () => {
  it('a block with no coefficients decodes to the level shift (2048) everywhere', () => {
    // Bits: DC "0" (category 0), AC "0" (end of block), padded with ones.
    const decoded = decodeSequentialJpeg(jpeg12(), { width: 8, height: 8 });
    expect(decoded.precision).toBe(12);
    expect(Array.from(new Set(decoded.samples))).toEqual([2048]);
  });

  it('a DC difference raises the whole block by DC·q/8 (the IDCT gain), and the predictor carries to the next block', () => {
    // Block 1: DC "10" + bits "11" (category 2, value +3) then EOB "0"; block 2: DC "0" (no change), EOB "0".
    // 10 11 0 0 0 + padding ones → 1011 0001 1111 1111: 0xB1 0xFF 0x00 (stuffed).
    const decoded = decodeSequentialJpeg(jpeg12({ width: 16, quant: 16, scan: [0xb1, 0xff, 0x00] }), { width: 16, height: 8 });
    expect(Array.from(new Set(decoded.samples.subarray(0, 8)))).toEqual([2048 + 6]); // 3 × 16 / 8
    expect(decoded.samples[8]).toBe(2054); // second block: predictor kept
    expect(decoded.samples[127]).toBe(2054);
  });

  it('restart markers reset the DC predictor between intervals', () => {
    // Two blocks, a restart after each: block 1 as above then ones up to the byte, RST0, block 2 "0 0" → 0x3F.
    const decoded = decodeSequentialJpeg(jpeg12({ width: 16, quant: 16, restart: 1, scan: [0xb1, 0xff, 0xd0, 0x3f] }), { width: 16, height: 8 });
    expect(decoded.samples[0]).toBe(2054);
    expect(decoded.samples[8]).toBe(2048);
  });

  it('a missing restart marker is a 422', () => {
    expect(refusal(jpeg12({ width: 16, restart: 1, scan: [0x3f, 0x3f] }), { width: 16, height: 8 }).status).toBe(422);
  });

  it('an image larger than the DICOM header says is refused before decoding', () => {
    expect(refusal(jpeg12({ width: 4096, height: 4096 })).message).toMatch(/4096x4096 but the DICOM header says Columns x Rows 8x8/);
  });

  it('progressive, several components and odd precisions are 415; broken streams 422', () => {
    expect(refusal(jpeg12({ sof: 0xc2 })).status).toBe(415);
    expect(refusal(jpeg12({ components: 3 })).status).toBe(415);
    expect(refusal(jpeg12({ precision: 16 })).status).toBe(415);
    expect(refusal(Uint8Array.from([0x00, 0x01, 0x02, 0x03])).status).toBe(422);
    const whole = jpeg12();
    for (const cut of [3, 10, 60, whole.length - 4]) expect(refusal(whole.subarray(0, cut)).status).toBe(422);
  });

  it('a stream that ends long before the image does is a 422, not a page of zeros', () => {
    // All-zero bits are valid empty blocks; after the data ends only 256 padding bits are accepted.
    expect(refusal(jpeg12({ width: 512, height: 512, scan: [0x00] }), { width: 512, height: 512 }).message).toMatch(/ends before the image does/);
  });
});
