import { thrown } from '../common/thrown.testing';
import { decodeSlice } from './decode-slice';
import { writeDicom } from './dicom-writer.testing';
import { ImageFormatError } from './hu-image';

const SIDE = 32;
const pixels = Array.from({ length: SIDE * SIDE }, (_, i) => 1000 + (i % 50));

/** The 422 a DICOM with these header values gets from decodeSlice. */
function refusal(options: Parameters<typeof writeDicom>[0], maxPixels?: number): ImageFormatError {
  return thrown(ImageFormatError, () => decodeSlice(writeDicom({ rows: SIDE, columns: SIDE, pixels, ...options }), { maxPixels }));
}

/** A DS value written as text, exactly as given (NaN, 1e-300, ...). */
const ds = (tag: number, text: string) => ({ tag, vr: 'DS', value: text });
const PIXEL_SPACING = 0x00280030;

describe('DICOM header range checks', () => {
  it.each(['0.005', '0.001', '1e-4', '1e-300'])('DICOM PixelSpacing %s is a 422 naming PixelSpacing', (spacing) => {
    const error = refusal({ elements: [ds(PIXEL_SPACING, `${spacing}\\${spacing}`)] });
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/PixelSpacing \(0028,0030\).*outside 0\.05 to 10 mm/);
  });

  it.each(['NaN\\NaN', '-0.7\\-0.7', '1e308\\1e308', '0.7\\abc', '11\\0.7', '0.7'])('DICOM PixelSpacing %s is a 422 naming PixelSpacing', (value) => {
    const error = refusal({ elements: [ds(PIXEL_SPACING, value)] });
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/PixelSpacing \(0028,0030\)/);
  });

  it('accepts plausible spacings at both ends of the range', () => {
    expect(decodeSlice(writeDicom({ rows: SIDE, columns: SIDE, pixels, pixelSpacing: [0.05, 10] })).image.spacing).toEqual({ x: 10, y: 0.05 });
    expect(decodeSlice(writeDicom({ rows: SIDE, columns: SIDE, pixels, pixelSpacing: [0.7, 0.7] })).image.spacing).toEqual({ x: 0.7, y: 0.7 });
  });

  it('refuses an unbounded rescale slope or intercept, naming the attribute', () => {
    expect(refusal({ rescale: { slope: 1e30, intercept: 0 } }).message).toMatch(/RescaleSlope \(0028,1053\)/);
    expect(refusal({ rescale: { slope: 1e-9, intercept: 0 } }).message).toMatch(/RescaleSlope/);
    expect(refusal({ rescale: { slope: 1, intercept: -1e20 } }).message).toMatch(/RescaleIntercept \(0028,1052\)/);
  });

  it('refuses absurd window values, naming the attribute', () => {
    expect(refusal({ window: { center: 1e12, width: 400 } }).message).toMatch(/WindowCenter \(0028,1050\)/);
    expect(refusal({ window: { center: 40, width: -5 } }).message).toMatch(/WindowWidth \(0028,1051\)/);
    expect(refusal({ elements: [ds(0x00281051, 'NaN')], window: null }).message).toMatch(/WindowWidth/);
  });

  it('refuses a slice over the pixel budget', () => {
    expect(refusal({}, 32 * 31).message).toMatch(/Rows\/Columns 32x32 .* over the limit/);
  });
});
