import { HuImage, pixelSpacing } from '../imaging/hu-image';
import { fitSlice, planFit } from './fit-slice';

describe('fitting a slice to the model input', () => {
  const image = (w: number, h: number, spacingMm: number | null = null): HuImage => ({
    width: w,
    height: h,
    data: Float32Array.from({ length: w * h }, (_, i) => i % w),
    spacing: pixelSpacing(spacingMm),
  });

  it('keeps a slice of the model size as it is', () => {
    const fit = planFit(image(8, 8), 8, null);
    expect(fit).toEqual({ size: 8, scale: 1, width: 8, height: 8 });
    expect(Array.from(fitSlice(image(8, 8), fit))).toEqual(Array.from(image(8, 8).data));
  });

  it('scales the longer side to the size and pads the rest with air', () => {
    const fit = planFit(image(16, 8), 8, null);
    expect(fit).toEqual({ size: 8, scale: 0.5, width: 8, height: 4 });
    const out = fitSlice(image(16, 8), fit);
    expect(out[0]).toBeCloseTo(0.5); // mean of columns 0 and 1
    expect(out[7]).toBeCloseTo(14.5);
    expect(out[5 * 8]).toBe(-1024);
  });

  it("resamples to the target spacing when the slice's and the target's are known, never past the size", () => {
    expect(planFit(image(8, 8, 0.5), 8, 1).scale).toBe(0.5);
    expect(planFit(image(8, 8, 2), 8, 1).scale).toBe(1);
    expect(planFit(image(8, 8), 8, 1).scale).toBe(1);
    expect(planFit(image(8, 8, 0.5), 8, null).scale).toBe(1);
  });
});
