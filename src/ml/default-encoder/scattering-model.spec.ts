/** @jest-environment ./src/ml/onnx/ort-jest-environment.js */
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { Prng } from '../../sample/prng';
import { correlationBank, morletKernel, morletParameters } from './morlet';
import { defaultDescriptorBlocks } from './default-descriptor';
import { buildScatteringModel } from './scattering-model';
import { DEFAULT_SCATTERING_DESIGN, resolveDesign, scalePairs, scatteringLayout, scatteringMacs } from './scattering-design';
import { scatteringReference } from './scattering-reference';

const { PI, cos, sin, sqrt } = Math;

function randomInputs(n: number, channels: number, size: number, seed: number): { patch: Float32Array; mask: Float32Array } {
  const rng = new Prng(seed);
  const patch = Float32Array.from({ length: n * channels * size * size }, () => rng.next());
  const mask = new Float32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    // A box of random size and position per patch (at least 4×4 pixels, as the inputs guarantee).
    const x0 = rng.int(0, size / 2);
    const y0 = rng.int(0, size / 2);
    const w = rng.int(4, size / 2);
    const h = rng.int(4, size / 2);
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) mask[i * size * size + y * size + x] = 1;
  }
  return { patch, mask };
}

async function runModel(options: Parameters<typeof buildScatteringModel>[0], n: number, seed: number) {
  const model = buildScatteringModel(options);
  const { channels, size } = model.design;
  const { patch, mask } = randomInputs(n, channels, size, seed);
  const session = await ort.InferenceSession.create(model.bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const result = await session.run({
    [model.inputName]: new ort.Tensor('float32', patch, [n, channels, size, size]),
    [model.maskInputName]: new ort.Tensor('float32', mask, [n, 1, size, size]),
  });
  const output = result[model.outputName];
  const plane = size * size;
  const reference = Array.from({ length: n }, (_, i) =>
    scatteringReference(patch.subarray(i * channels * plane, (i + 1) * channels * plane), mask.subarray(i * plane, (i + 1) * plane), model.design),
  );
  return { model, output, reference };
}

function maxRelativeError(actual: Float32Array, expected: Float64Array[]): number {
  let worst = 0;
  expected.forEach((ref, i) => {
    ref.forEach((v, k) => {
      worst = Math.max(worst, Math.abs(actual[i * ref.length + k] - v) / Math.max(Math.abs(v), 1e-6));
    });
  });
  return worst;
}

describe('default scattering encoder', () => {
  it('matches the TypeScript reference (default J=4, L=8, 64 px)', async () => {
    const { model, output, reference } = await runModel({}, 2, 11);
    expect(model.dim).toBe(318);
    expect(output.dims).toEqual([2, 318]);
    expect(maxRelativeError(output.data as Float32Array, reference)).toBeLessThan(1e-4);
    // Coefficients are means of moduli: positive and finite.
    expect(reference[0].every((v) => v > 0 && Number.isFinite(v))).toBe(true);
  });

  it('matches the reference for a smaller design (J=3, L=4, 32 px)', async () => {
    const { model, output, reference } = await runModel({ J: 3, L: 4, size: 32 }, 3, 5);
    expect(model.dim).toBe(2 * (3 * 4 + 3 * 3 * 4));
    expect(output.dims).toEqual([3, model.dim]);
    expect(maxRelativeError(output.data as Float32Array, reference)).toBeLessThan(1e-4);
  });

  it('writes identical bytes for identical options, different bytes otherwise', () => {
    const hash = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    expect(hash(buildScatteringModel().bytes)).toBe(hash(buildScatteringModel({ J: 4, L: 8, size: 64 }).bytes));
    expect(hash(buildScatteringModel({ L: 4 }).bytes)).not.toBe(hash(buildScatteringModel().bytes));
  });

  it('declares its layout and cost', () => {
    const model = buildScatteringModel();
    expect(model.subBlocks).toEqual([15, 144, 15, 144]);
    expect(model.inputName).toBe('patch');
    expect(model.maskInputName).toBe('box_mask');
    expect(model.flopsPerPatch).toBe(2 * model.macsPerPatch);
    // Morlet: 3 windows × 16 real kernels × 81 taps over 64² + 32² + 16² + 8² pixels (order 1),
    // and 3 × j2·8 maps × 16 kernels × 81 taps at level j2 (order 2); decimation 16 taps per output.
    const order1 = 3 * 16 * 81 * (4096 + 1024 + 256 + 64);
    const order2 = 3 * 8 * 16 * 81 * (1 * 1024 + 2 * 256 + 3 * 64);
    const decimation = 16 * ((3 + 24) * 1024 + (3 + 48) * 256 + (3 + 72) * 64);
    expect(model.macsPerPatch).toBe(order1 + order2 + decimation);
    expect(scatteringMacs(DEFAULT_SCATTERING_DESIGN)).toBe(model.macsPerPatch);
  });

  it('refuses designs whose coarsest level is smaller than the kernel', () => {
    expect(() => resolveDesign({ J: 5, size: 64 })).toThrow(/too small/);
    expect(() => resolveDesign({ J: 1 })).toThrow(RangeError);
  });

  it('lists scale pairs lexicographically', () => {
    expect(scalePairs(4)).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 2],
      [1, 3],
      [2, 3],
    ]);
    expect(scatteringLayout({ J: 4, L: 8, channels: 3 }).dim).toBe(318);
  });
});

describe('Morlet filters', () => {
  it('are zero-mean and follow kymatio parameters', () => {
    expect(morletParameters(0, 0, 8)).toMatchObject({ sigma: 0.8, xi: (3 * PI) / 4, slant: 0.5, theta: (3 * PI) / 8 });
    expect(morletParameters(2, 7, 8)).toMatchObject({ sigma: 3.2, xi: (3 * PI) / 16, theta: (-4 * PI) / 8 });
    const { real, imag } = morletKernel(morletParameters(0, 2, 8), 4);
    expect(Math.abs(real.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
    expect(Math.abs(imag.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
  });

  it('respond most to a plane wave along their own orientation', () => {
    const L = 8;
    const radius = 4;
    const side = 2 * radius + 1;
    const bank = correlationBank(L, radius);
    const taps = side * side;
    for (let wave = 0; wave < L; wave++) {
      const { theta, xi } = morletParameters(0, wave, L);
      const responses = Array.from({ length: L }, (_, t) => {
        let re = 0;
        let im = 0;
        for (let r = 0; r < side; r++) {
          for (let c = 0; c < side; c++) {
            // rows are kymatio's x: the wave varies along (cos θ, sin θ) in (row, column)
            const v = cos(xi * (r * cos(theta) + c * sin(theta)));
            re += bank[t * taps + r * side + c] * v;
            im += bank[(L + t) * taps + r * side + c] * v;
          }
        }
        return sqrt(re * re + im * im);
      });
      expect(responses.indexOf(Math.max(...responses))).toBe(wave);
    }
  });
});

describe('defaultDescriptorBlocks', () => {
  it('passes the manifest rules: model sub-blocks sum to the model output', () => {
    const blocks = defaultDescriptorBlocks();
    const model = blocks.find((b) => b.kind === 'model')!;
    expect(model.subBlocks!.reduce((a, b) => a + b, 0)).toBe(buildScatteringModel().dim);
    expect(blocks.filter((b) => b.kind !== 'model').every((b) => b.subBlocks === undefined)).toBe(true);
    expect(blocks.map((b) => b.weight)).toEqual([1, 2, 0.5]);
  });
});
