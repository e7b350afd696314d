/**
 * @jest-environment ./src/ml/onnx/ort-jest-environment.js
 */
import * as ort from 'onnxruntime-node';
import { buildBlobModel, blobOutputName } from './blob-model';
import { scaleLevels, SCALES_PER_OCTAVE } from './scale-space';

describe('default detector scale space (ONNX)', () => {
  let session: ort.InferenceSession;
  const model = buildBlobModel(2);
  beforeAll(async () => {
    session = await ort.InferenceSession.create(model.bytes);
  });
  afterAll(async () => session?.release());

  it('is deterministic', () => {
    expect(Buffer.compare(Buffer.from(buildBlobModel(2).bytes), Buffer.from(model.bytes))).toBe(0);
  });

  it('peaks at a bright disc, at the scale of its size, positive for bright and negative for dark', async () => {
    const n = 128;
    const radius = 8;
    const input = new Float32Array(2 * n * n);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const inside = Math.hypot(x - 64, y - 64) <= radius;
        input[y * n + x] = inside ? 1 : 0; // channel 0: bright disc
        input[n * n + y * n + x] = inside ? 0 : 1; // channel 1: dark disc
      }
    }
    const out = await session.run({ [model.inputName]: new ort.Tensor('float32', input, [1, 2, n, n]) });
    expect(out[blobOutputName(0)].dims).toEqual([1, 2 * SCALES_PER_OCTAVE, n, n]);
    expect(out[blobOutputName(3)].dims).toEqual([1, 2 * SCALES_PER_OCTAVE, n / 8, n / 8]);
    // Response at the disc centre per scale; the best scale of a disc of radius R is about R/√2.
    const centre = scaleLevels().map((level) => {
      const t = out[blobOutputName(level.octave)];
      const w = t.dims[3];
      const h = t.dims[2];
      const f = 2 ** level.octave;
      const at = (channel: number) => (t.data as Float32Array)[(channel * SCALES_PER_OCTAVE + level.level) * w * h + (64 / f) * w + 64 / f];
      return { sigma: level.sigma, bright: at(0), dark: at(1) };
    });
    const best = centre.reduce((a, b) => (b.bright > a.bright ? b : a));
    expect(best.sigma).toBeGreaterThan(radius / Math.SQRT2 / 1.5);
    expect(best.sigma).toBeLessThan((radius / Math.SQRT2) * 1.5);
    expect(best.bright).toBeGreaterThan(0.2);
    for (const c of centre) expect(c.dark).toBeCloseTo(-c.bright, 4);
  });
});
