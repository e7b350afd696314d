import { decodeDicom, looksLikeDicom } from './dicom';
import { DicomElement, pixelBytes, TRANSFER_SYNTAX, writeDicom } from './dicom-writer.testing';
import { ImageFormatError } from './hu-image';

const ROWS = 20;
const COLUMNS = 24;

/** A gradient of stored values so that every pixel position is checked. */
function storedValues(f: (i: number) => number): number[] {
  return Array.from({ length: ROWS * COLUMNS }, (_, i) => f(i));
}

function expectFormatError(run: () => unknown, status: 415 | 422, message?: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ImageFormatError);
  expect((caught as ImageFormatError).status).toBe(status);
  if (message) expect((caught as ImageFormatError).message).toMatch(message);
}

describe('decodeDicom', () => {
  it('round-trips unsigned 16-bit pixels with slope 1, intercept -1024 exactly', () => {
    const stored = storedValues((i) => (i * 37) % 4096);
    const slice = decodeDicom(writeDicom({ rows: ROWS, columns: COLUMNS, pixels: stored, rescale: { slope: 1, intercept: -1024 } }));
    expect(slice.width).toBe(COLUMNS);
    expect(slice.height).toBe(ROWS);
    expect(Array.from(slice.data)).toEqual(stored.map((v) => v - 1024));
    expect(slice.rescale).toEqual({ slope: 1, intercept: -1024 });
    expect(slice.modality).toBe('CT');
  });

  it('round-trips signed 16-bit pixels with slope 0.5, intercept -1000 exactly', () => {
    const stored = storedValues((i) => ((i * 101) % 8000) - 4000);
    const slice = decodeDicom(writeDicom({ rows: ROWS, columns: COLUMNS, pixels: stored, pixelRepresentation: 1, rescale: { slope: 0.5, intercept: -1000 } }));
    expect(Array.from(slice.data)).toEqual(stored.map((v) => v * 0.5 - 1000));
    expect(Math.min(...slice.data)).toBe(-3000);
  });

  it('defaults to slope 1 and intercept 0 without rescale tags', () => {
    const stored = storedValues((i) => i % 3000);
    const slice = decodeDicom(writeDicom({ rows: ROWS, columns: COLUMNS, pixels: stored, rescale: null }));
    expect(slice.rescale).toEqual({ slope: 1, intercept: 0 });
    expect(Array.from(slice.data)).toEqual(stored);
  });

  it('decodes implicit and explicit VR, with and without preamble, to the same slice', () => {
    const options = {
      rows: ROWS,
      columns: COLUMNS,
      pixels: storedValues((i) => i * 5),
      pixelSpacing: [0.7, 0.8] as [number, number],
      sliceThickness: 2.5,
      window: { center: 40, width: 400 },
    };
    const explicit = decodeDicom(writeDicom({ ...options, transferSyntax: TRANSFER_SYNTAX.explicitLittle }));
    const implicit = decodeDicom(writeDicom({ ...options, transferSyntax: TRANSFER_SYNTAX.implicitLittle }));
    const bare = decodeDicom(writeDicom({ ...options, preamble: false }));
    const bareExplicit = decodeDicom(writeDicom({ ...options, preamble: false, vr: 'explicit' }));
    const withoutSyntax = ({ transferSyntax: _, ...slice }: ReturnType<typeof decodeDicom>) => slice;
    expect(withoutSyntax(implicit)).toEqual(withoutSyntax(explicit));
    expect(withoutSyntax(bare)).toEqual(withoutSyntax(explicit));
    expect(withoutSyntax(bareExplicit)).toEqual(withoutSyntax(explicit));
    expect([explicit.transferSyntax, implicit.transferSyntax]).toEqual([TRANSFER_SYNTAX.explicitLittle, TRANSFER_SYNTAX.implicitLittle]);
  });

  it('reads pixel spacing, slice thickness, window, modality and UIDs', () => {
    const slice = decodeDicom(
      writeDicom({
        pixelSpacing: [0.625, 0.75],
        sliceThickness: 1.25,
        window: { center: [40, 400], width: [350, 1500] },
        modality: 'MR',
        uids: { study: '1.2.3', series: '1.2.3.4', sop: '1.2.3.4.55' },
      }),
    );
    expect(slice.spacing).toEqual({ x: 0.75, y: 0.625 }); // PixelSpacing is row\column: y first; one file has no z
    expect(slice.sliceThicknessMm).toBe(1.25);
    expect(slice.window).toEqual({ center: 40, width: 350 });
    expect(slice.modality).toBe('MR'); // recorded, not refused
    // '1.2.3' is odd-length and NUL-padded on disk: the padding must not leak into the UID.
    expect(slice.uids).toEqual({ study: '1.2.3', series: '1.2.3.4', sop: '1.2.3.4.55' });
  });

  it('gives nulls for absent optional tags', () => {
    const slice = decodeDicom(writeDicom({ pixelSpacing: null, sliceThickness: null, window: null, modality: null }));
    expect(slice.spacing).toBeNull();
    expect(slice.sliceThicknessMm).toBeNull();
    expect(slice.window).toBeNull();
    expect(slice.modality).toBeNull();
  });

  it('decodes 8-bit pixels, unsigned and signed', () => {
    const unsigned = storedValues((i) => i % 256);
    expect(
      Array.from(decodeDicom(writeDicom({ rows: ROWS, columns: COLUMNS, bitsAllocated: 8, pixels: unsigned, rescale: { slope: 2, intercept: -100 } })).data),
    ).toEqual(unsigned.map((v) => v * 2 - 100));
    const signed = storedValues((i) => (i % 256) - 128);
    const slice = decodeDicom(writeDicom({ rows: ROWS, columns: COLUMNS, bitsAllocated: 8, pixelRepresentation: 1, pixels: signed, rescale: null }));
    expect(Array.from(slice.data)).toEqual(signed);
  });

  it('accepts an odd 8-bit pixel count padded to even length', () => {
    const stored = Array.from({ length: 17 * 17 }, (_, i) => i % 200);
    const slice = decodeDicom(writeDicom({ rows: 17, columns: 17, bitsAllocated: 8, pixels: stored, rescale: null }));
    expect(Array.from(slice.data)).toEqual(stored);
  });

  it('masks bits above BitsStored and sign-extends from HighBit', () => {
    // 12-bit signed stored in 16 bits, with junk (an old-style overlay bit) in bit 15 of the first pixel.
    const stored = storedValues((i) => ((i * 13) % 4096) - 2048);
    const bytes = new Uint8Array(stored.length * 2);
    stored.forEach((v, i) => {
      bytes[2 * i] = v & 0xff;
      bytes[2 * i + 1] = (v >> 8) & 0xff;
    });
    bytes[1] = (bytes[1] & 0x0f) | 0x80; // first pixel: overlay bit set, sign bits cleared
    const slice = decodeDicom(writeDicom({ rows: ROWS, columns: COLUMNS, pixelBytes: bytes, bitsStored: 12, pixelRepresentation: 1, rescale: null }));
    expect(Array.from(slice.data)).toEqual(stored);
  });

  it('does not invert MONOCHROME1: the rescale defines HU whatever the display polarity', () => {
    const stored = storedValues((i) => i);
    const slice = decodeDicom(writeDicom({ rows: ROWS, columns: COLUMNS, pixels: stored, photometric: 'MONOCHROME1' }));
    expect(Array.from(slice.data)).toEqual(stored.map((v) => v - 1024));
  });

  it('skips an undefined-length sequence before the pixel data (explicit VR)', () => {
    const item: DicomElement[] = [
      { tag: 0x00081150, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.2' },
      { tag: 0x00081155, vr: 'UI', value: '9.8.7' },
      // A nested undefined-length sequence whose content contains a fake pixel-data tag.
      {
        tag: 0x00089215,
        vr: 'SQ',
        undefinedLength: true,
        value: [[{ tag: 0x7fe00010, vr: 'OW', value: new Uint8Array(8).fill(0xff) }]],
      },
    ];
    const sequence: DicomElement = { tag: 0x00082112, vr: 'SQ', undefinedLength: true, value: [item, item] };
    const defined: DicomElement = { tag: 0x00540016, vr: 'SQ', value: [[{ tag: 0x00181071, vr: 'DS', value: 3.5 }]] };
    const stored = storedValues((i) => i * 3);
    for (const transferSyntax of [TRANSFER_SYNTAX.explicitLittle, TRANSFER_SYNTAX.implicitLittle]) {
      const slice = decodeDicom(
        writeDicom({ rows: ROWS, columns: COLUMNS, pixels: stored, transferSyntax, elements: [sequence, defined], pixelSpacing: [0.5, 0.5] }),
      );
      expect(Array.from(slice.data)).toEqual(stored.map((v) => v - 1024));
      expect(slice.spacing).toEqual({ x: 0.5, y: 0.5 });
    }
  });

  it('refuses transfer syntaxes that carry no CT image (video, unknown) with 415 naming the syntax', () => {
    expectFormatError(
      () => decodeDicom(writeDicom({ transferSyntax: TRANSFER_SYNTAX.mpeg2, encapsulate: true })),
      415,
      /^DICOM transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100 \(MPEG2 Main Profile\) is not supported/,
    );
    expectFormatError(() => decodeDicom(writeDicom({ transferSyntax: '1.2.3.4.5' })), 415, /unknown/);
  });

  it('refuses a compressed frame that is not what its transfer syntax says with 422', () => {
    for (const ts of [
      TRANSFER_SYNTAX.jpegBaseline,
      TRANSFER_SYNTAX.jpegLosslessSv1,
      TRANSFER_SYNTAX.jpegLsLossless,
      TRANSFER_SYNTAX.jpeg2000Lossless,
      TRANSFER_SYNTAX.rle,
    ]) {
      // 512 zero bytes in one fragment: no JPEG marker, no J2K codestream, no RLE header with 2 segments.
      expectFormatError(() => decodeDicom(writeDicom({ transferSyntax: ts, encapsulate: true })), 422, /corrupt/);
    }
    // Native pixel data under a compressed syntax.
    expectFormatError(() => decodeDicom(writeDicom({ transferSyntax: TRANSFER_SYNTAX.jpegLsLossless })), 422, /needs encapsulated pixel data/);
  });

  it('decodes explicit big endian and deflated data sets to the same HU as little endian', () => {
    const stored = storedValues((i) => ((i * 97) % 5000) - 2000);
    const options = { rows: ROWS, columns: COLUMNS, pixels: stored, pixelRepresentation: 1 as const, pixelSpacing: [0.6, 0.7] as [number, number] };
    const little = decodeDicom(writeDicom(options));
    for (const transferSyntax of [TRANSFER_SYNTAX.explicitBig, TRANSFER_SYNTAX.deflated]) {
      const other = decodeDicom(writeDicom({ ...options, transferSyntax }));
      expect(other.transferSyntax).toBe(transferSyntax);
      expect(Array.from(other.data)).toEqual(Array.from(little.data));
      expect(other.spacing).toEqual({ x: 0.7, y: 0.6 });
    }
    expect(Array.from(little.data)).toEqual(stored.map((v) => v - 1024));
  });

  it('bounds what a deflated data set may inflate to', () => {
    const bomb = writeDicom({ rows: 512, columns: 512, transferSyntax: TRANSFER_SYNTAX.deflated });
    expect(bomb.length).toBeLessThan(10_000); // 512 KiB of zeros deflates to almost nothing
    expectFormatError(() => decodeDicom(bomb, { maxInflatedBytes: 100_000 }), 422, /inflates to more than/);
    expect(decodeDicom(bomb).width).toBe(512);
  });

  it('refuses encapsulated pixel data under an uncompressed transfer syntax', () => {
    expectFormatError(() => decodeDicom(writeDicom({ encapsulate: true })), 422, /encapsulated/);
  });

  it('refuses truncated pixel data with 422', () => {
    // The element is consistent but shorter than rows × columns × 2.
    expectFormatError(() => decodeDicom(writeDicom({ pixelBytes: new Uint8Array(16 * 16 * 2 - 64) })), 422, /truncated/);
    // The file ends before the declared pixel data does.
    expectFormatError(() => decodeDicom(writeDicom({ truncateBy: 100 })), 422, /^truncated DICOM: pixel data declares 512 bytes but only 412 are present$/);
    expectFormatError(() => decodeDicom(writeDicom({ transferSyntax: TRANSFER_SYNTAX.implicitLittle, truncateBy: 1 })), 422, /truncated/);
  });

  it('ignores trailing padding after the pixels but refuses a whole extra frame', () => {
    const stored = Array.from({ length: 16 * 16 }, (_, i) => i);
    const padded = new Uint8Array(16 * 16 * 2 + 128).fill(0xee);
    padded.set(pixelBytes(stored, 16));
    expect(Array.from(decodeDicom(writeDicom({ pixelBytes: padded, rescale: null })).data)).toEqual(stored);
    expectFormatError(() => decodeDicom(writeDicom({ pixelBytes: new Uint8Array(16 * 16 * 4) })), 422, /enough for more than 1 frame/);
  });

  it('refuses colour, missing pixels and implausible sizes with 422', () => {
    expectFormatError(
      () => decodeDicom(writeDicom({ samplesPerPixel: 3, photometric: 'RGB', pixelBytes: new Uint8Array(16 * 16 * 6) })),
      422,
      /colour DICOM is not a CT slice/,
    );
    expectFormatError(() => decodeDicom(writeDicom({ photometric: 'PALETTE COLOR' })), 422, /colour/);
    expectFormatError(() => decodeDicom(writeDicom({ omitPixelData: true })), 422, /no pixel data \(7FE0,0010\)/);
    expectFormatError(() => decodeDicom(writeDicom({ rows: 8, columns: 8 })), 422, /Rows\/Columns 8x8 is outside/);
  });

  it('accepts NumberOfFrames 1', () => {
    expect(decodeDicom(writeDicom({ numberOfFrames: 1 })).width).toBe(16);
  });

  it('refuses unsupported bit depths with 415', () => {
    expectFormatError(() => decodeDicom(writeDicom({ bitsAllocated: 32, bitsStored: 32, pixelBytes: new Uint8Array(16 * 16 * 4) })), 415, /32 bits/);
  });

  it('refuses garbage and truncated headers with an ImageFormatError', () => {
    const garbage = new Uint8Array(4096);
    let seed = 12345;
    for (let i = 0; i < garbage.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      garbage[i] = seed >>> 24;
    }
    expectFormatError(() => decodeDicom(garbage), 422);
    expectFormatError(() => decodeDicom(new Uint8Array(0)), 422);
    expectFormatError(() => decodeDicom(Buffer.from('hello world, definitely not DICOM')), 422, /not a DICOM file/);
    // A bare big-endian data set is recognised as such rather than misread.
    const stored = Array.from({ length: 16 * 16 }, (_, i) => i * 7);
    const bigEndian = writeDicom({ preamble: false, vr: 'explicit', transferSyntax: TRANSFER_SYNTAX.explicitBig, pixels: stored });
    expect(looksLikeDicom(bigEndian)).toBe(true);
    expect(Array.from(decodeDicom(bigEndian).data)).toEqual(stored.map((v) => v - 1024));
    // DICM marker followed by garbage, and files cut at every point of the header.
    const withMarker = new Uint8Array(1000);
    withMarker.set(garbage.subarray(0, 1000));
    withMarker.set([0x44, 0x49, 0x43, 0x4d], 128);
    expect(() => decodeDicom(withMarker)).toThrow(ImageFormatError);
    for (const ts of [TRANSFER_SYNTAX.explicitLittle, TRANSFER_SYNTAX.implicitLittle]) {
      const full = writeDicom({
        transferSyntax: ts,
        elements: [{ tag: 0x00082112, vr: 'SQ', undefinedLength: true, value: [[{ tag: 0x00081155, vr: 'UI', value: '9.8.7' }]] }],
      });
      for (let cut = 1; cut < full.length - 16 * 16 * 2; cut += 3) {
        expect(() => decodeDicom(full.subarray(0, cut))).toThrow(ImageFormatError);
      }
    }
  });

  it('recognises DICOM by its marker or a data set at byte 0', () => {
    expect(looksLikeDicom(writeDicom())).toBe(true);
    expect(looksLikeDicom(writeDicom({ preamble: false }))).toBe(true);
    expect(looksLikeDicom(writeDicom({ preamble: false, vr: 'explicit' }))).toBe(true);
    expect(looksLikeDicom(Buffer.from('hello world, definitely not DICOM'))).toBe(false);
    expect(looksLikeDicom(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))).toBe(false);
  });

  // (How fast it decodes is a benchmark's question, not a test's.)
  it('decodes a 512×512 12-bit signed slice', () => {
    const stored = Array.from({ length: 512 * 512 }, (_, i) => i % 4096);
    const bytes = writeDicom({ rows: 512, columns: 512, pixels: stored, pixelRepresentation: 1, bitsStored: 12 });
    const slice = decodeDicom(bytes);
    expect([slice.width, slice.height]).toEqual([512, 512]);
    expect(slice.data[4095]).toBe(-1 - 1024); // 4095 as 12-bit signed is −1
  });
});
