import { encode } from 'fast-png';
import * as jpeg from 'jpeg-js';
import { decodeDeepLesionPng, decodeGray8 } from './decode';
import { boxInside, ImageFormatError, MAX_PIXEL_SPACING_MM, MIN_PIXEL_SPACING_MM, pixelSpacing, pixelsToMm } from './hu-image';
import { readImageHeader } from './image-header';
import { boxInPatch, cropSquare, greyToRgbWithBox, patchGeometry } from './patch';
import { applyWindow, WINDOW_PRESETS } from './window';

function png16(width: number, height: number, hu: (x: number, y: number) => number): Uint8Array {
  const data = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = hu(x, y) + 32768;
  return encode({ width, height, data, depth: 16, channels: 1 });
}

describe('image headers', () => {
  it('reads PNG size, depth and channels without decoding', () => {
    expect(readImageHeader(png16(40, 30, () => 0))).toEqual({ format: 'png', width: 40, height: 30, bitDepth: 16, channels: 1 });
  });

  it('reads JPEG frame size', () => {
    const rgba = new Uint8Array(64 * 32 * 4).fill(128);
    const bytes = jpeg.encode({ width: 64, height: 32, data: rgba }, 90).data;
    expect(readImageHeader(bytes)).toMatchObject({ format: 'jpeg', width: 64, height: 32, bitDepth: 8 });
  });

  it('refuses non-images, truncated files and absurd sizes', () => {
    expect(() => readImageHeader(Buffer.from('hello world, not an image'))).toThrow(ImageFormatError);
    expect(() => readImageHeader(png16(40, 30, () => 0).slice(0, 20))).toThrow(/truncated/);
    expect(() => readImageHeader(png16(8, 8, () => 0))).toThrow(/implausible/);
  });
});

describe('decoding', () => {
  it('maps DeepLesion 16-bit values to HU exactly', () => {
    const image = decodeDeepLesionPng(png16(20, 20, (x) => (x < 10 ? -1000 : 60)));
    expect(image.data[0]).toBe(-1000);
    expect(image.data[15]).toBe(60);
    expect(image.spacing).toBeNull(); // the CSV has it, not the PNG
  });

  it('refuses 8-bit PNGs as DeepLesion slices', () => {
    const bytes = encode({ width: 20, height: 20, data: new Uint8Array(400), depth: 8, channels: 1 });
    expect(() => decodeDeepLesionPng(bytes)).toThrow(/16-bit/);
  });

  it('maps 8-bit grey through the declared window', () => {
    const data = new Uint8Array(400).fill(255);
    data[0] = 0;
    const image = decodeGray8(encode({ width: 20, height: 20, data, depth: 8, channels: 1 }), { low: -1024, high: 3071 });
    expect(image.data[0]).toBe(-1024);
    expect(image.data[1]).toBeCloseTo(3071, 3);
  });

  it('refuses colour images and corrupt pixel data', () => {
    const rgb = new Uint8Array(20 * 20 * 3);
    for (let i = 0; i < 400; i++) rgb.set([250, 10, 10], i * 3);
    expect(() => decodeGray8(encode({ width: 20, height: 20, data: rgb, depth: 8, channels: 3 }), { low: 0, high: 255 })).toThrow(/colour/);
    const broken = png16(20, 20, () => 0);
    broken.fill(0, 40);
    expect(() => decodeDeepLesionPng(broken)).toThrow(ImageFormatError);
  });
});

describe('pixel spacing', () => {
  it('holds x and y to the plausible range where it enters, takes y as x when only x is known, and keeps a positive z', () => {
    expect(pixelSpacing(0.7, 0.9, 5)).toEqual({ x: 0.7, y: 0.9, z: 5 });
    expect(pixelSpacing(0.7)).toEqual({ x: 0.7, y: 0.7 });
    expect(pixelSpacing(0.7, null, 0)).toEqual({ x: 0.7, y: 0.7 });
    expect(pixelSpacing(1000, 0.001)).toEqual({ x: MAX_PIXEL_SPACING_MM, y: MIN_PIXEL_SPACING_MM });
    for (const unknown of [null, undefined, 0, -1, NaN, Infinity]) expect(pixelSpacing(unknown, 0.7)).toBeNull();
  });

  it('turns pixel lengths into mm through the column spacing, null without one', () => {
    expect(pixelsToMm(10, { x: 0.5, y: 2 })).toBe(5);
    expect(pixelsToMm(10, null)).toBeNull();
  });
});

describe('patches', () => {
  const box = { x1: 40, y1: 40, x2: 60, y2: 50 };
  const at = (spacingMm: number | null) => ({ spacing: pixelSpacing(spacingMm) });

  it("sizes the context square from the image's spacing, never tighter than the box", () => {
    expect(patchGeometry(at(0.8), box, 120).side).toBeCloseTo(150);
    expect(patchGeometry(at(null), box).side).toBe(50);
    expect(patchGeometry(at(0.8), { x1: 0, y1: 0, x2: 400, y2: 100 }).side).toBe(600);
  });

  it('replicates the border outside the image', () => {
    const image = { width: 4, height: 4, data: Float32Array.from({ length: 16 }, (_, i) => (i % 4) * 10), spacing: null };
    const patch = cropSquare(image, { cx: 0, cy: 2, side: 8 }, 8);
    expect(patch.data[0]).toBe(0); // left of the image: column 0 repeated
    expect(patch.data[7]).toBeCloseTo(30); // right half: up to the last column
    expect(patch.spacing).toBeNull();
  });

  it('is an identity crop at scale 1, and scales the spacing with the crop', () => {
    const image = { width: 10, height: 10, data: Float32Array.from({ length: 100 }, (_, i) => i), spacing: { x: 0.5, y: 0.75, z: 5 } };
    const patch = cropSquare(image, { cx: 5, cy: 5, side: 4 }, 4);
    expect(Array.from(patch.data.slice(0, 4))).toEqual([33, 34, 35, 36]);
    expect(patch.spacing).toEqual(image.spacing);
    expect(cropSquare(image, { cx: 5, cy: 5, side: 8 }, 4).spacing).toEqual({ x: 1, y: 1.5, z: 5 });
  });

  it('maps the box into patch coordinates and draws it', () => {
    const geometry = { cx: 50, cy: 45, side: 40 };
    expect(boxInPatch(box, geometry, 80)).toEqual({ x1: 20, y1: 30, x2: 60, y2: 50 });
    const rgb = greyToRgbWithBox(new Uint8Array(100), 10, { x1: 2, y1: 2, x2: 5, y2: 5 });
    expect(Array.from(rgb.slice((2 * 10 + 3) * 3, (2 * 10 + 3) * 3 + 3))).toEqual([255, 210, 0]);
    expect(Array.from(rgb.slice((3 * 10 + 3) * 3, (3 * 10 + 3) * 3 + 3))).toEqual([0, 0, 0]);
  });

  it('windows HU with clipping', () => {
    const grey = applyWindow(Float32Array.from([-2000, -160, 40, 240, 3000]), WINDOW_PRESETS.soft);
    expect([grey[0], grey[1], grey[3], grey[4]]).toEqual([0, 0, 255, 255]);
    expect(Math.abs(grey[2] - 127.5)).toBeLessThanOrEqual(0.5);
  });

  it('checks boxes against the image', () => {
    expect(boxInside({ x1: 0, y1: 0, x2: 512, y2: 512 }, 512, 512)).toBe(true);
    expect(boxInside({ x1: -1, y1: 0, x2: 10, y2: 10 }, 512, 512)).toBe(false);
    expect(boxInside({ x1: 10, y1: 0, x2: 5, y2: 10 }, 512, 512)).toBe(false);
  });
});

describe('image header validity and the pixel budget', () => {
  /** A PNG whose IHDR says `bitDepth`/`colourType` (the header is read before any pixel, so the rest need not match). */
  function withIhdr(bitDepth: number, colourType: number): Uint8Array {
    const bytes = png16(32, 32, () => 0).slice();
    bytes[24] = bitDepth;
    bytes[25] = colourType;
    return bytes;
  }

  /** Just enough JPEG for its frame header: SOI, SOF0 saying width × height, 3 components. */
  function jpegHeader(width: number, height: number): Uint8Array {
    return Uint8Array.from([
      0xff,
      0xd8,
      0xff,
      0xc0,
      0x00,
      0x11,
      8,
      height >> 8,
      height & 0xff,
      width >> 8,
      width & 0xff,
      3,
      1,
      0x22,
      0,
      2,
      0x11,
      1,
      3,
      0x11,
      1,
      0xff,
      0xd9,
    ]);
  }

  it('16-bit PNG with colour type 3 is refused (a palette holds at most 8 bits)', () => {
    expect(() => readImageHeader(withIhdr(16, 3))).toThrow(/bit depth 16 is invalid with colour type 3/);
    expect(() => decodeDeepLesionPng(withIhdr(16, 3))).toThrow(ImageFormatError);
  });

  it('refuses every bit depth the PNG spec does not allow for the colour type', () => {
    for (const [depth, colour] of [
      [4, 2],
      [16, 3],
      [1, 4],
      [2, 6],
      [3, 0],
    ])
      expect(() => readImageHeader(withIhdr(depth, colour))).toThrow(/is invalid with colour type/);
    for (const [depth, colour] of [
      [16, 0],
      [8, 2],
      [8, 3],
      [16, 4],
      [8, 6],
    ])
      expect(readImageHeader(withIhdr(depth, colour)).bitDepth).toBe(depth);
  });

  it('refuses an image over the pixel budget from its header, before decoding', () => {
    // The frame header alone: jpeg-js would fail quite differently on these 23 bytes.
    expect(() => readImageHeader(jpegHeader(4096, 4096))).toThrow(/4096x4096 \(16\.8 Mpx\), over the limit of 16\.0 Mpx/);
    expect(() => decodeGray8(jpegHeader(4096, 4096), { low: -1024, high: 3071 })).toThrow(/over the limit/);
    expect(readImageHeader(jpegHeader(3500, 3500))).toMatchObject({ width: 3500, height: 3500 });
    expect(() =>
      readImageHeader(
        png16(40, 30, () => 0),
        40 * 30 - 1,
      ),
    ).toThrow(/over the limit/);
  });
});
