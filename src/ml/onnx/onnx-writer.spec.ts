/** @jest-environment ./src/ml/onnx/ort-jest-environment.js */
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder } from './onnx-writer';

/** x [N,1,4,4] → Conv 3×3 (zero pads 1) → Abs → ReduceMean over H, W → Reshape [N, 2] via int64 shape. */
function tinyModel(): Uint8Array {
  const g = new OnnxGraphBuilder('tiny');
  g.input('x', ['N', 1, 4, 4]);
  // Two filters: a centre-minus-right difference and a 3×3 box sum.
  g.initializer('w', [2, 1, 3, 3], [0, 0, 0, 0, 1, -1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  g.initializer('b', [2], [0, -1]);
  g.int64Initializer('shape', [2], [-1, 2]);
  g.node('Conv', ['x', 'w', 'b'], ['conv'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] });
  g.node('Abs', ['conv'], ['abs']);
  g.node('ReduceMean', ['abs'], ['mean'], { axes: [-2, -1], keepdims: 1 });
  g.node('Reshape', ['mean', 'shape'], ['y']);
  g.node('Mul', ['y', 'y'], ['y2']);
  g.output('y', ['N', 2]);
  g.output('y2', ['N', 2]);
  return g.toBytes();
}

/** The same computation in plain TypeScript. */
function expected(x: number[]): [number, number] {
  const at = (r: number, c: number) => (r < 0 || c < 0 || r > 3 || c > 3 ? 0 : x[r * 4 + c]);
  let diff = 0;
  let box = 0;
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      diff += Math.abs(at(r, c) - at(r, c + 1));
      let s = 0;
      for (let dr = -1; dr <= 1; dr++) for (let dc = -1; dc <= 1; dc++) s += at(r + dr, c + dc);
      box += Math.abs(s - 1);
    }
  }
  return [diff / 16, box / 16];
}

describe('OnnxGraphBuilder', () => {
  it('writes a model that onnxruntime runs with the expected numbers', async () => {
    const session = await ort.InferenceSession.create(tinyModel(), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    const a = Array.from({ length: 16 }, (_, i) => ((i * 7) % 5) - 2);
    const b = Array.from({ length: 16 }, (_, i) => (i % 3) * 0.5);
    const result = await session.run({ x: new ort.Tensor('float32', Float32Array.from([...a, ...b]), [2, 1, 4, 4]) });
    expect(result.y.dims).toEqual([2, 2]);
    const y = result.y.data as Float32Array;
    const want = [...expected(a), ...expected(b)];
    want.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 5));
    const y2 = result.y2.data as Float32Array;
    want.forEach((v, i) => expect(y2[i]).toBeCloseTo(v * v, 4));
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y', 'y2']);
  });

  it('produces identical bytes for identical calls', () => {
    const hash = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    expect(hash(tinyModel())).toBe(hash(tinyModel()));
  });

  it('writes FLOAT, INT, INTS and STRING attributes that onnxruntime accepts', async () => {
    const g = new OnnxGraphBuilder('attrs');
    g.input('x', [1, 1, 4, 4]);
    g.int64Initializer('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1]);
    g.node('Pad', ['x', 'pads'], ['padded'], { mode: 'reflect' });
    g.node('AveragePool', ['padded'], ['pooled'], { kernel_shape: [2, 2], strides: [2, 2] });
    g.node('LeakyRelu', ['pooled'], ['y'], { alpha: { float: 2 } });
    g.output('y', [1, 1, 3, 3]);
    const session = await ort.InferenceSession.create(g.toBytes(), { executionProviders: ['cpu'] });
    const x = Float32Array.from({ length: 16 }, (_, i) => i - 8);
    const y = (await session.run({ x: new ort.Tensor('float32', x, [1, 1, 4, 4]) })).y.data as Float32Array;
    // Reflect-padded rows/cols: index -1 → 1, 4 → 2. Pool cell (0,0) covers padded (−1..0) × (−1..0).
    const at = (r: number, c: number) => x[(r < 0 ? -r : r > 3 ? 6 - r : r) * 4 + (c < 0 ? -c : c > 3 ? 6 - c : c)];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const r = 2 * i - 1;
        const c = 2 * j - 1;
        const mean = (at(r, c) + at(r, c + 1) + at(r + 1, c) + at(r + 1, c + 1)) / 4;
        expect(y[i * 3 + j]).toBeCloseTo(mean < 0 ? 2 * mean : mean, 5);
      }
    }
  });

  it('refuses duplicate tensor names and mismatched initialiser sizes', () => {
    const g = new OnnxGraphBuilder();
    g.input('x', [1]);
    expect(() => g.input('x', [1])).toThrow(/twice/);
    expect(() => g.initializer('w', [2, 2], [1, 2, 3])).toThrow(/need 4 values/);
  });
});
