import { HuImage, PixelSpacing, pixelSpacing } from '../imaging/hu-image';
import { EncoderManifest } from './encoder-manifest';
import { scatteringInputs } from './descriptor/scattering-inputs';
import { contextPixels, preparePatch } from './prepare-patch';

// A window wide enough to keep HU linear in [0, 1]: value = (HU + 10000) / 20000.
const manifest: EncoderManifest = {
  schema: 'lesion-encoder/v1',
  name: 'test',
  model: { file: 'model.onnx', inputs: { patch: 'patch', boxMask: 'box_mask' }, output: 'out', dim: 4 },
  input: { size: 64, windows: [[-10000, 10000]], context: { mm: 96, fallbackSpacingMm: 0.8 }, sliceOffsetsMm: [0] },
  descriptor: { blocks: [{ kind: 'model', weight: 1 }] },
};
const toHu = (v: number) => v * 20000 - 10000;

function ramp(axis: 'x' | 'y', spacing: PixelSpacing | null = null, size = 512): HuImage {
  const data = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data[y * size + x] = axis === 'x' ? x : y;
  return { width: size, height: size, data, spacing };
}

describe('patch geometry', () => {
  const box = { x1: 246, y1: 246, x2: 266, y2: 266 }; // centre (256, 256)

  it("sizes the context from the key slice's spacing on each axis (anisotropic pixels)", () => {
    expect(contextPixels(manifest, { x: 0.5, y: 1.0 })).toEqual({ x: 192, y: 96 });
    expect(contextPixels(manifest, null)).toEqual({ x: 120, y: 120 });
    expect(contextPixels({ ...manifest, input: { ...manifest.input, context: { px: 100 } } }, { x: 0.5, y: 0.5 })).toEqual({ x: 100, y: 100 });

    const anisotropic = { x: 0.5, y: 1.0 };
    const across = preparePatch(manifest, { key: 1, slices: [ramp('x', anisotropic)], box });
    const down = preparePatch(manifest, { key: 1, slices: [ramp('y', anisotropic)], box });
    // Patch column k samples x = 256 + (k + 0.5)·192/64 − 96 − 0.5; row k samples y = 256 + (k + 0.5)·96/64 − 48 − 0.5.
    expect(toHu(across.patch[0])).toBeCloseTo(256 + 1.5 - 96 - 0.5, 1);
    expect(toHu(across.patch[63])).toBeCloseTo(256 + 63.5 * 3 - 96 - 0.5, 1);
    expect(toHu(down.patch[0])).toBeCloseTo(256 + 0.75 - 48 - 0.5, 1);
    expect(toHu(down.patch[63 * 64])).toBeCloseTo(256 + 63.5 * 1.5 - 48 - 0.5, 1);
    // The 20 px box covers 20/3 patch columns but 20/1.5 patch rows.
    const maskColumns = across.boxMask.slice(32 * 64, 33 * 64).reduce((a, b) => a + b, 0);
    let maskRows = 0;
    for (let r = 0; r < 64; r++) maskRows += across.boxMask[r * 64 + 32];
    expect(maskColumns).toBe(6);
    expect(maskRows).toBe(14);
  });

  it('repeats the edge pixels where the context leaves the image', () => {
    const edgeBox = { x1: 0, y1: 250, x2: 10, y2: 262 };
    const prepared = preparePatch(manifest, { key: 1, slices: [ramp('x')], box: edgeBox });
    const row = Array.from(prepared.patch.slice(32 * 64, 33 * 64), toHu);
    // Left of the image every sample reads column 0 (blurred with reflected borders): one constant value.
    const outside = row.slice(0, 25);
    expect(Math.max(...outside) - Math.min(...outside)).toBeLessThan(1e-3);
    expect(row[63]).toBeGreaterThan(row[40]);
  });

  it('keeps the histogram and position blocks beside the patch', () => {
    const prepared = preparePatch(manifest, { key: 9, slices: [ramp('x', pixelSpacing(0.8))], box });
    expect(prepared.key).toBe(9);
    expect(prepared.histogram).toHaveLength(64);
    expect(prepared.position).toHaveLength(169);
  });
});

describe('absurd spacings (defence in depth behind the header checks)', () => {
  const box = { x1: 246, y1: 246, x2: 266, y2: 266 };

  it('are clamped to 0.05–10 mm where they enter an image, so no spacing asks for a huge context or kernel', () => {
    const context = (mm: number) => contextPixels(manifest, pixelSpacing(mm));
    expect(context(1e-300)).toEqual(context(0.05));
    expect(context(1e-4)).toEqual({ x: 96 / 0.05, y: 96 / 0.05 });
    expect(context(1e300)).toEqual(context(10));
    expect(context(Number.NaN)).toEqual(contextPixels(manifest, null));
    const tiny = preparePatch(manifest, { key: 1, slices: [ramp('x', pixelSpacing(1e-300))], box });
    const floor = preparePatch(manifest, { key: 1, slices: [ramp('x', pixelSpacing(0.05))], box });
    expect(Array.from(tiny.patch)).toEqual(Array.from(floor.patch));
  });
});

describe('scatteringInputs refuses a context no spacing allows', () => {
  it('throws a RangeError instead of allocating a kernel of any size', () => {
    const image = ramp('x', null, 64);
    const box = { x1: 20, y1: 20, x2: 30, y2: 30 };
    expect(() => scatteringInputs(image, box, { contextPx: 1.2e302, size: 64, windows: [[-1000, 1000]] })).toThrow(RangeError);
    expect(() => scatteringInputs(image, box, { contextPx: Number.NaN, size: 64, windows: [[-1000, 1000]] })).toThrow(RangeError);
  });
});
