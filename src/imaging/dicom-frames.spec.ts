import { thrown } from '../common/thrown.testing';
import { encodeHtj2k, encodeJpeg2000, encodeJpegLs } from './codecs/wasm-encoders.testing';
import { decodeDicom } from './dicom';
import { DicomElement, TRANSFER_SYNTAX, writeDicom } from './dicom-writer.testing';
import { ImageFormatError } from './hu-image';

// Big enough for OpenJPEG's default five decomposition levels.
const ROWS = 40;
const COLUMNS = 64;
const PIXELS = ROWS * COLUMNS;

const formatError = (run: () => unknown) => thrown(ImageFormatError, run);

/** Frame f's stored values: signed, different in every frame and pixel. */
const frameValues = (f: number) => Array.from({ length: PIXELS }, (_, i) => ((i * 53 + f * 977) % 3000) - 1200);
const ds = (tag: number, value: string | number | number[]): DicomElement => ({ tag, vr: 'DS', value });
const sq = (tag: number, ...items: DicomElement[][]): DicomElement => ({ tag, vr: 'SQ', value: items });

describe('multi-frame DICOM', () => {
  const native = writeDicom({ rows: ROWS, columns: COLUMNS, pixelRepresentation: 1, numberOfFrames: 3, pixels: [0, 1, 2].flatMap(frameValues) });

  it('decodes the frame asked for, 0-based, and reports the frame count', () => {
    for (const f of [0, 1, 2]) {
      const slice = decodeDicom(native, { frame: f });
      expect(Array.from(slice.data)).toEqual(frameValues(f).map((v) => v - 1024));
      expect([slice.frame, slice.numberOfFrames]).toEqual([f, 3]);
    }
  });

  it('refuses a frame outside NumberOfFrames, pixel data short of the frames declared and a 30,000-frame header with 422', () => {
    for (const frame of [3, -1, 1.5])
      expect(formatError(() => decodeDicom(native, { frame })).message).toMatch(/frame .* is outside 0 to 2 \(NumberOfFrames \(0028,0008\) 3\)/);
    const short = writeDicom({ rows: ROWS, columns: COLUMNS, numberOfFrames: 4, pixels: [0, 1, 2].flatMap(frameValues) });
    expect(formatError(() => decodeDicom(short, { frame: 0 })).message).toMatch(/truncated DICOM: pixel data has \d+ bytes, 4 frame\(s\) of 64x40x16-bit need/);
    const huge = writeDicom({ rows: ROWS, columns: COLUMNS, numberOfFrames: 30_000, pixels: frameValues(0) });
    const error = formatError(() => decodeDicom(huge));
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/NumberOfFrames \(0028,0008\) 30000 is outside 1 to 10000/);
  });

  it('takes rescale, spacing and window from the enhanced CT functional groups, per frame over shared', () => {
    const shared = [
      sq(0x00289110, [ds(0x00280030, [0.5, 0.6]), ds(0x00180050, 1.25)]),
      sq(0x00289145, [ds(0x00281052, -1024), ds(0x00281053, 1)]),
      sq(0x00289132, [ds(0x00281050, 40), ds(0x00281051, 400)]),
    ];
    const perFrame = [[], [sq(0x00289145, [ds(0x00281052, -1000), ds(0x00281053, 0.5)])], [sq(0x00289110, [ds(0x00280030, [0.8, 0.9])])]];
    for (const transferSyntax of [TRANSFER_SYNTAX.explicitLittle, TRANSFER_SYNTAX.implicitLittle]) {
      const enhanced = writeDicom({
        rows: ROWS,
        columns: COLUMNS,
        pixelRepresentation: 1,
        numberOfFrames: 3,
        pixels: [0, 1, 2].flatMap(frameValues),
        rescale: null,
        transferSyntax,
        elements: [sq(0x52009229, shared), sq(0x52009230, ...perFrame)],
      });
      const [first, second, third] = [0, 1, 2].map((frame) => decodeDicom(enhanced, { frame }));
      expect(Array.from(first.data)).toEqual(frameValues(0).map((v) => v - 1024));
      expect(Array.from(second.data)).toEqual(frameValues(1).map((v) => v * 0.5 - 1000));
      expect(second.rescale).toEqual({ slope: 0.5, intercept: -1000 });
      expect([first.spacing, third.spacing]).toEqual([
        { x: 0.6, y: 0.5 },
        { x: 0.9, y: 0.8 },
      ]);
      expect(first.sliceThicknessMm).toBe(1.25);
      expect(first.window).toEqual({ center: 40, width: 400 });
    }
  });

  it('range-checks the functional groups like top-level values', () => {
    const enhanced = writeDicom({
      rows: ROWS,
      columns: COLUMNS,
      numberOfFrames: 1,
      pixels: frameValues(0).map((v) => v + 1200),
      elements: [sq(0x52009230, [sq(0x00289145, [ds(0x00281052, 0), ds(0x00281053, 1e30)])])],
    });
    expect(formatError(() => decodeDicom(enhanced)).message).toMatch(/RescaleSlope \(0028,1053\)/);
  });
});

describe('compressed frames', () => {
  const signed = { width: COLUMNS, height: ROWS, bitsPerSample: 16, signed: true };
  const cases = [
    ['JPEG-LS', TRANSFER_SYNTAX.jpegLsLossless, (f: number) => encodeJpegLs({ ...signed, values: frameValues(f) })],
    ['JPEG 2000', TRANSFER_SYNTAX.jpeg2000Lossless, (f: number) => encodeJpeg2000({ ...signed, values: frameValues(f) })],
    ['HTJ2K', '1.2.840.10008.1.2.4.201', (f: number) => encodeHtj2k({ ...signed, values: frameValues(f) })],
  ] as const;

  it.each(cases)('%s: decodes each frame losslessly, with or without an offset table, one or several fragments a frame', (_, transferSyntax, encode) => {
    const frames = [0, 1, 2].map(encode);
    const split = frames.map((frame) => [frame.subarray(0, 100), frame.subarray(100)]);
    for (const options of [
      { frames, offsetTable: false },
      { frames, offsetTable: true },
      { frames: split, offsetTable: true },
      { frames: split, offsetTable: false },
    ]) {
      const file = writeDicom({ rows: ROWS, columns: COLUMNS, pixelRepresentation: 1, numberOfFrames: 3, transferSyntax, ...options });
      for (const f of [0, 2]) expect(Array.from(decodeDicom(file, { frame: f }).data)).toEqual(frameValues(f).map((v) => v - 1024));
    }
  });

  it.each(cases)("%s: a truncated file or a frame whose size is not the header's is a 422", (_, transferSyntax, encode) => {
    const frame = encode(0);
    const whole = writeDicom({ rows: ROWS, columns: COLUMNS, pixelRepresentation: 1, transferSyntax, frames: [frame] });
    for (const cut of [20, frame.length / 2, frame.length - 8]) {
      const error = formatError(() => decodeDicom(whole.subarray(0, whole.length - cut)));
      expect(error.status).toBe(422);
    }
    const wrongSize = writeDicom({ rows: ROWS, columns: COLUMNS + 2, pixelRepresentation: 1, transferSyntax, frames: [frame] });
    expect(formatError(() => decodeDicom(wrongSize)).message).toMatch(/frame is 64x40 but the DICOM header says Columns x Rows 66x40/);
  });

  it('refuses a JPEG-LS frame declaring 65535x65535 before decoding it', () => {
    const frame = encodeJpegLs({ ...signed, values: frameValues(0) });
    const sof = frame.findIndex((b, i) => b === 0xff && frame[i + 1] === 0xf7);
    frame.set([0xff, 0xff, 0xff, 0xff], sof + 5); // height and width
    const file = writeDicom({ rows: ROWS, columns: COLUMNS, transferSyntax: TRANSFER_SYNTAX.jpegLsLossless, frames: [frame] });
    expect(formatError(() => decodeDicom(file)).message).toMatch(/JPEG-LS frame is 65535x65535 but the DICOM header says/);
  });
});

describe('photometric interpretation and padding', () => {
  const stored = Array.from({ length: PIXELS }, (_, i) => (i * 7) % 4096);

  it('keeps HU for MONOCHROME1 with a rescale, inverts the stored range without one', () => {
    const withRescale = decodeDicom(writeDicom({ rows: ROWS, columns: COLUMNS, pixels: stored, bitsStored: 12, photometric: 'MONOCHROME1' }));
    expect(Array.from(withRescale.data)).toEqual(stored.map((v) => v - 1024));
    const without = decodeDicom(writeDicom({ rows: ROWS, columns: COLUMNS, pixels: stored, bitsStored: 12, photometric: 'MONOCHROME1', rescale: null }));
    expect(Array.from(without.data)).toEqual(stored.map((v) => 4095 - v));
  });

  it('reads a grey picture stored as 8-bit colour (RGB interleaved or planar, YBR_FULL) as grey, and refuses real colour', () => {
    const grey = Array.from({ length: PIXELS }, (_, i) => (i * 3) % 256);
    const colour = (planar: boolean, ybr: boolean) => {
      const bytes = new Uint8Array(PIXELS * 3);
      grey.forEach((g, i) => {
        const channels = ybr ? [g, 128, 129] : [g, g + (i % 2), g];
        channels.forEach((v, c) => (bytes[planar ? c * PIXELS + i : i * 3 + c] = Math.min(255, v)));
      });
      return bytes;
    };
    const write = (pixelBytes: Uint8Array, photometric: string, planar: number) =>
      writeDicom({
        rows: ROWS,
        columns: COLUMNS,
        bitsAllocated: 8,
        samplesPerPixel: 3,
        photometric,
        pixelBytes,
        rescale: null,
        elements: [{ tag: 0x00280006, vr: 'US', value: planar }],
      });
    expect(Array.from(decodeDicom(write(colour(false, false), 'RGB', 0)).data)).toEqual(grey);
    expect(Array.from(decodeDicom(write(colour(true, false), 'RGB', 1)).data)).toEqual(grey);
    expect(Array.from(decodeDicom(write(colour(false, true), 'YBR_FULL', 0)).data)).toEqual(grey);
    const red = colour(false, false).map((v, i) => (i % 3 === 0 ? 255 : v));
    expect(formatError(() => decodeDicom(write(red, 'RGB', 0))).message).toMatch(/colour DICOM is not a CT slice \(RGB with channels that differ\)/);
  });

  it('maps Pixel Padding Value to air on CT and to the darkest pixel on other modalities', () => {
    const padded = stored.map((v, i) => (i % 5 === 0 ? -2000 : v - 1000));
    const ct = decodeDicom(writeDicom({ rows: ROWS, columns: COLUMNS, pixels: padded, pixelRepresentation: 1, pixelPadding: -2000, rescale: null }));
    expect(Array.from(ct.data)).toEqual(padded.map((v) => (v === -2000 ? -1024 : v)));
    const mr = decodeDicom(
      writeDicom({ rows: ROWS, columns: COLUMNS, pixels: padded, pixelRepresentation: 1, pixelPadding: -2000, rescale: null, modality: 'MR' }),
    );
    const darkest = Math.min(...padded.filter((v) => v !== -2000));
    expect(Array.from(mr.data)).toEqual(padded.map((v) => (v === -2000 ? darkest : v)));
  });
});
