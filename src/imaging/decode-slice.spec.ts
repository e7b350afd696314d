import { encode } from 'fast-png';
import * as jpeg from 'jpeg-js';
import { thrown } from '../common/thrown.testing';
import { decodeSlice, detectEncoding } from './decode-slice';
import { TRANSFER_SYNTAX, writeDicom } from './dicom-writer.testing';
import { ImageFormatError } from './hu-image';

const SIDE = 32;

function png16(hu: (i: number) => number): Uint8Array {
  const data = new Uint16Array(SIDE * SIDE);
  for (let i = 0; i < data.length; i++) data[i] = hu(i) + 32768;
  return encode({ width: SIDE, height: SIDE, data, depth: 16, channels: 1 });
}

function png8(grey: (i: number) => number): Uint8Array {
  const data = new Uint8Array(SIDE * SIDE);
  for (let i = 0; i < data.length; i++) data[i] = grey(i);
  return encode({ width: SIDE, height: SIDE, data, depth: 8, channels: 1 });
}

function jpeg8(grey: number): Uint8Array {
  const rgba = new Uint8Array(SIDE * SIDE * 4).fill(grey);
  return new Uint8Array(jpeg.encode({ width: SIDE, height: SIDE, data: rgba }, 95).data);
}

const formatError = (run: () => unknown) => thrown(ImageFormatError, run);

describe('decodeSlice', () => {
  it('auto-detects a DeepLesion 16-bit PNG', () => {
    const decoded = decodeSlice(png16((i) => (i % 2 ? -1000 : 60)));
    expect(decoded.source).toBe('png16');
    expect(decoded.image.spacing).toBeNull();
    expect(decoded.uids).toBeNull();
    expect(decoded.image.width).toBe(SIDE);
    expect(decoded.image.data[0]).toBe(60);
    expect(decoded.image.data[1]).toBe(-1000);
  });

  it('auto-detects DICOM with and without preamble, in both VRs', () => {
    const stored = Array.from({ length: SIDE * SIDE }, (_, i) => i);
    const uids = { study: '1.2.3', series: '1.2.3.4', sop: '1.2.3.4.5' };
    for (const options of [
      { transferSyntax: TRANSFER_SYNTAX.explicitLittle },
      { transferSyntax: TRANSFER_SYNTAX.implicitLittle },
      { preamble: false },
      { preamble: false, vr: 'explicit' as const },
    ]) {
      const bytes = writeDicom({ ...options, rows: SIDE, columns: SIDE, pixels: stored, pixelSpacing: [0.6, 0.8], uids });
      expect(detectEncoding(bytes)).toBe('dicom');
      const decoded = decodeSlice(bytes);
      expect(decoded.source).toBe('dicom');
      expect(decoded.image.spacing).toEqual({ x: 0.8, y: 0.6 }); // PixelSpacing is row\column: y first
      expect(decoded.uids).toEqual(uids);
      expect(decoded.dicom?.modality).toBe('CT');
      expect(Object.keys(decoded.image).sort()).toEqual(['data', 'height', 'spacing', 'width']);
      expect(Array.from(decoded.image.data)).toEqual(stored.map((v) => v - 1024));
    }
  });

  it('auto-detects 8-bit PNG and JPEG and applies the declared window', () => {
    const window = { low: -1024, high: 3071 };
    const fromPng = decodeSlice(
      png8(() => 255),
      { window },
    );
    expect(fromPng.source).toBe('gray8');
    expect(fromPng.image.data[0]).toBe(3071);
    const fromJpeg = decodeSlice(jpeg8(0), { window });
    expect(fromJpeg.source).toBe('gray8');
    expect(fromJpeg.image.spacing).toBeNull();
    expect(Math.abs(fromJpeg.image.data[0] - -1024)).toBeLessThan(40);
  });

  it("gives the image the caller's spacing over the file's (a form field wins over a DICOM header), and none to a PNG otherwise", () => {
    const stated = { x: 1.1, y: 1.1 };
    const dicom = writeDicom({ rows: SIDE, columns: SIDE, pixelSpacing: [0.6, 0.8] });
    expect(decodeSlice(dicom, { spacing: stated }).image.spacing).toEqual(stated);
    expect(decodeSlice(dicom, { spacing: null }).image.spacing).toEqual({ x: 0.8, y: 0.6 });
    expect(decodeSlice(writeDicom({ rows: SIDE, columns: SIDE })).image.spacing).toBeNull();
    expect(
      decodeSlice(
        png16(() => 0),
        { spacing: stated },
      ).image.spacing,
    ).toEqual(stated);
    expect(decodeSlice(jpeg8(0), { window: { low: -1024, high: 3071 }, spacing: stated }).image.spacing).toEqual(stated);
  });

  it('refuses an 8-bit image without a window with 422', () => {
    for (const bytes of [png8(() => 100), jpeg8(100)]) {
      for (const encoding of ['auto', 'gray8'] as const) {
        const error = formatError(() => decodeSlice(bytes, { encoding }));
        expect(error.status).toBe(422);
        expect(error.message).toBe('an 8-bit image needs a declared HU window (e.g. -1024..3071 for DeepLesion key slices)');
      }
    }
  });

  it('refuses unknown bytes with 415', () => {
    for (const bytes of [Buffer.from('GIF89a, not something we read at all'), new Uint8Array(0), new Uint8Array(300)]) {
      const error = formatError(() => decodeSlice(bytes));
      expect(error.status).toBe(415);
      expect(error.message).toBe('unsupported image format: send a DeepLesion 16-bit PNG, DICOM, or an 8-bit PNG/JPEG with its HU window');
    }
  });

  it('refuses PNG bit depths that are neither 8 nor 16 with 415', () => {
    const data = new Uint8Array((SIDE * SIDE) / 8).fill(0xaa); // 1-bit samples, packed
    const onebit = encode({ width: SIDE, height: SIDE, data, depth: 1, channels: 1 });
    const error = formatError(() => decodeSlice(onebit, { window: { low: 0, high: 1 } }));
    expect(error.status).toBe(415);
    expect(error.message).toMatch(/^unsupported image format \(PNG 1-bit\)/);
  });

  it('passes DICOM refusals through', () => {
    const error = formatError(() => decodeSlice(writeDicom({ transferSyntax: '1.2.840.10008.1.2.4.102', encapsulate: true })));
    expect(error.status).toBe(415);
    expect(error.message).toMatch(/MPEG-4 AVC\/H\.264/);
    expect(formatError(() => decodeSlice(writeDicom({ transferSyntax: TRANSFER_SYNTAX.jpegBaseline, encapsulate: true }))).status).toBe(422);
    expect(formatError(() => decodeSlice(writeDicom({ truncateBy: 10 }))).status).toBe(422);
  });

  it('honours an explicit encoding', () => {
    const dicom = writeDicom({ rows: SIDE, columns: SIDE });
    expect(decodeSlice(dicom, { encoding: 'dicom' }).source).toBe('dicom');
    expect(
      decodeSlice(
        png16(() => 5),
        { encoding: 'png16' },
      ).image.data[0],
    ).toBe(5);
    expect(
      decodeSlice(
        png8(() => 0),
        { encoding: 'gray8', window: { low: -100, high: 100 } },
      ).image.data[0],
    ).toBe(-100);
    // A declared encoding that does not match the bytes is refused, not guessed around.
    expect(formatError(() => decodeSlice(dicom, { encoding: 'png16' })).status).toBe(415);
    expect(
      formatError(() =>
        decodeSlice(
          png8(() => 0),
          { encoding: 'png16' },
        ),
      ).status,
    ).toBe(422);
    expect(
      formatError(() =>
        decodeSlice(
          png16(() => 0),
          { encoding: 'dicom' },
        ),
      ).status,
    ).toBe(422);
  });
});
