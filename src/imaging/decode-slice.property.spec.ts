import fc from 'fast-check';
import { encode as encodePng } from 'fast-png';
import * as jpeg from 'jpeg-js';
import { decodeSlice, SliceEncoding } from './decode-slice';
import { decodeDicom } from './dicom';
import { TRANSFER_SYNTAX, writeDicom } from './dicom-writer.testing';
import { ImageFormatError } from './hu-image';

// Property tests (fast-check) with fixed seeds: the same cases on every run; a failure prints its counterexample.
const RUNS = { seed: 1307, numRuns: 250 };

const side = 32;
const DICOM = writeDicom({ rows: side, columns: side, pixels: Array.from({ length: side * side }, (_, i) => 1000 + (i % 50)), pixelSpacing: [0.7, 0.7] });
const DICOM_IMPLICIT = writeDicom({ rows: side, columns: side, transferSyntax: TRANSFER_SYNTAX.implicitLittle, pixelSpacing: [0.7, 0.7] });
const PNG16 = encodePng({ width: side, height: side, data: new Uint16Array(side * side).map((_, i) => 32768 + (i % 300)), depth: 16, channels: 1 });
const JPEG = (() => {
  const data = Buffer.alloc(side * side * 4, 128);
  return new Uint8Array(jpeg.encode({ data, width: side, height: side }, 90).data);
})();
const SEEDS = { dicom: DICOM, dicomImplicit: DICOM_IMPLICIT, png16: PNG16, jpeg: JPEG };
const WINDOW = { low: -1024, high: 3071 };

/** Decodes and checks the only allowed outcomes: a consistent HU image, or an ImageFormatError with 415 or 422. */
function decodeOrRefuse(bytes: Uint8Array, encoding: SliceEncoding = 'auto'): void {
  let decoded: ReturnType<typeof decodeSlice>;
  try {
    decoded = decodeSlice(bytes, { encoding, window: WINDOW });
  } catch (error) {
    if (!(error instanceof ImageFormatError)) throw new Error(`not an ImageFormatError: ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
    expect([415, 422]).toContain(error.status);
    expect(error.message.length).toBeGreaterThan(0);
    return;
  }
  const { width, height, data } = decoded.image;
  expect(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0).toBe(true);
  expect(data.length).toBe(width * height);
}

/** A seed file with some bytes flipped, overwritten, cut off or appended. */
const mutated = fc
  .record({
    seed: fc.constantFrom(...(Object.keys(SEEDS) as (keyof typeof SEEDS)[])),
    flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), headerOnly: fc.boolean() }), { maxLength: 12 }),
    keep: fc.option(fc.nat(), { nil: undefined }),
    tail: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ seed, flips, keep, tail }) => {
    const bytes = Uint8Array.from(SEEDS[seed]);
    for (const f of flips) bytes[f.headerOnly ? f.at % Math.min(bytes.length, 400) : f.at % bytes.length] = f.value;
    const cut = keep === undefined ? bytes : bytes.slice(0, keep % (bytes.length + 1));
    return Uint8Array.from([...cut, ...(keep === undefined ? tail : [])]);
  });

describe('decodeSlice and decodeDicom (property)', () => {
  it('random bytes: refused with a 415 or 422 ImageFormatError, never another error', () => {
    const prefixed = fc
      .tuple(fc.constantFrom(new Uint8Array(0), PNG16.slice(0, 8), JPEG.slice(0, 3), DICOM.slice(0, 132)), fc.uint8Array({ maxLength: 600 }))
      .map(([head, rest]) => Uint8Array.from([...head, ...rest]));
    fc.assert(
      fc.property(prefixed, fc.constantFrom<SliceEncoding>('auto', 'png16', 'gray8', 'dicom'), (bytes, encoding) => decodeOrRefuse(bytes, encoding)),
      RUNS,
    );
  });

  it('truncated files: refused with 415/422 at every length', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(SEEDS)), fc.nat(), (file, n) => decodeOrRefuse(file.slice(0, n % file.length))),
      RUNS,
    );
  });

  it('files with flipped, overwritten or appended bytes: a consistent image or a 415/422', () => {
    fc.assert(
      fc.property(mutated, (bytes) => decodeOrRefuse(bytes)),
      { ...RUNS, numRuns: 500 },
    );
  });

  it('DICOM headers with arbitrary dimensions, bit depths, frames, rescale and spacing: a consistent slice or a 415/422', () => {
    const header = fc.record({
      rows: fc.constantFrom(0, 1, 15, 16, 32, 4097, 65535),
      columns: fc.constantFrom(0, 1, 16, 32, 65535),
      bitsAllocated: fc.constantFrom(0, 1, 8, 12, 16, 32),
      bitsStored: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      pixelRepresentation: fc.constantFrom<0 | 1>(0, 1),
      samplesPerPixel: fc.constantFrom(0, 1, 3),
      numberOfFrames: fc.option(fc.constantFrom(0, 1, 2, 1_000_000), { nil: undefined }),
      rescale: fc.option(fc.record({ slope: fc.double(), intercept: fc.double() }), { nil: null }),
      spacing: fc.option(fc.constantFrom('0.7\\0.7', '0', '-1\\-1', '1e-300\\1e-300', 'NaN\\NaN', 'abc', '', '1e308\\1e308', '0.7'), { nil: undefined }),
      transferSyntax: fc.constantFrom(...Object.values(TRANSFER_SYNTAX)),
      pixelBytes: fc.option(fc.uint8Array({ maxLength: 3000 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(header, (h) => {
        const file = writeDicom({
          rows: h.rows,
          columns: h.columns,
          bitsAllocated: h.bitsAllocated,
          bitsStored: h.bitsStored,
          pixelRepresentation: h.pixelRepresentation,
          samplesPerPixel: h.samplesPerPixel,
          numberOfFrames: h.numberOfFrames,
          rescale: h.rescale,
          transferSyntax: h.transferSyntax,
          pixelBytes: h.pixelBytes ?? new Uint8Array(Math.min(h.rows * h.columns * 2, 200_000)),
          elements: h.spacing === undefined ? [] : [{ tag: 0x00280030, vr: 'DS', value: h.spacing }],
        });
        decodeOrRefuse(file, 'dicom');
        try {
          const slice = decodeDicom(file);
          expect(slice.data.length).toBe(slice.width * slice.height);
        } catch (error) {
          expect(error).toBeInstanceOf(ImageFormatError);
        }
      }),
      RUNS,
    );
  });
});
