import { OnnxGraphBuilder } from '../onnx/onnx-writer';
import { correlationBank } from './morlet';
import { ScatteringDesign, ScatteringModelOptions, levelSizes, resolveDesign, scalePairs, scatteringLayout, scatteringMacs } from './scattering-design';

export const SCATTERING_INPUT = 'patch';
export const SCATTERING_MASK_INPUT = 'box_mask';
export const SCATTERING_OUTPUT = 'scattering';

export interface ScatteringModel {
  /** The ONNX ModelProto (ir 8, opset 17); identical options give identical bytes. */
  bytes: Uint8Array;
  /** [N, channels, size, size], HU windows scaled to [0, 1]. */
  inputName: typeof SCATTERING_INPUT;
  /** [N, 1, size, size], 1 inside the box (patch coordinates), 0 outside. */
  maskInputName: typeof SCATTERING_MASK_INPUT;
  /** [N, dim] raw coefficients; normalise `subBlocks` separately before use. */
  outputName: string;
  dim: number;
  /** Lengths of [order-1 whole patch, order-2 whole patch, order-1 box, order-2 box]. */
  subBlocks: number[];
  /** Multiply-adds of all convolutions (Morlet filtering and decimation) for one patch. */
  macsPerPatch: number;
  /** 2 × macsPerPatch. */
  flopsPerPatch: number;
  design: ScatteringDesign;
}

/**
 * Writes the default lesion encoder: a fixed-filter wavelet scattering network (see
 * ScatteringDesign) as an ONNX graph of standard operators (Reshape, Pad, Conv, Mul, ReduceSum,
 * Sqrt, AveragePool, Div, MatMul, Concat, Gather). `scatteringReference` computes the same numbers.
 */
export function buildScatteringModel(options: ScatteringModelOptions = {}): ScatteringModel {
  const design = resolveDesign(options);
  const { J, L, channels: C, radius } = design;
  const sizes = levelSizes(design);
  const layout = scatteringLayout(design);
  const g = new OnnxGraphBuilder('default_scattering_encoder', `wavelet scattering J=${J} L=${L} size=${design.size} radius=${radius}`);
  const ops = new GraphOps(g);

  g.input(SCATTERING_INPUT, ['N', C, design.size, design.size]);
  g.input(SCATTERING_MASK_INPUT, ['N', 1, design.size, design.size]);
  const kernel = 2 * radius + 1;
  const bank = g.initializer('morlet_bank', [2 * L, 1, kernel, kernel], correlationBank(L, radius));
  const taps = design.decimationTaps;
  const lowpass = g.initializer(
    'decimation_kernel',
    [1, 1, taps.length, taps.length],
    taps.flatMap((a) => taps.map((b) => a * b)),
  );
  // orientation_difference[t1·L + t2][d] = 1/L where t2 = (t1 + d) mod L: averages U2(t, t + d) over t.
  const difference = new Float32Array(L * L * L);
  for (let t = 0; t < L; t++) for (let d = 0; d < L; d++) difference[(t * L + ((t + d) % L)) * L + d] = 1 / L;
  const orientationDifference = g.initializer('orientation_difference', [L * L, L], difference);

  /** Reflect-pad by the kernel radius, filter with the Morlet bank, modulus: [M, 1, s, s] → [M, L, s, s]. */
  const moduli = (images: string, size: number): string => {
    const padded = ops.pad(images, radius);
    const filtered = g.node('Conv', [padded, bank], [g.fresh('morlet')], { kernel_shape: [kernel, kernel] });
    const parts = ops.reshape(filtered, [-1, 2, L, size, size]);
    const squared = g.node('Mul', [parts, parts], [g.fresh('squared')]);
    const energy = g.node('ReduceSum', [squared, ops.ints([1])], [g.fresh('energy')], { keepdims: 0 });
    return g.node('Sqrt', [energy], [g.fresh('modulus')]);
  };
  /** Low-pass and 2× decimation of single-channel images [M, 1, s, s] → [M, 1, s/2, s/2]. */
  const decimate = (images: string): string => {
    const padded = ops.pad(images, taps.length / 2 - 1);
    return g.node('Conv', [padded, lowpass], [g.fresh('decimated')], { kernel_shape: [taps.length, taps.length], strides: [2, 2] });
  };

  // Pooling weights per level: uniform [s², 1] and the box mask's area share, normalised [N, s², 1].
  const uniform: string[] = [];
  const boxWeights: string[] = [];
  let mask = SCATTERING_MASK_INPUT;
  for (let j = 0; j < J; j++) {
    const pixels = sizes[j] * sizes[j];
    if (j > 0) mask = g.node('AveragePool', [mask], [g.fresh(`box_mask_${j}`)], { kernel_shape: [2, 2], strides: [2, 2] });
    const total = g.node('ReduceSum', [mask, ops.ints([1, 2, 3])], [g.fresh('mask_area')], { keepdims: 1 });
    const share = g.node('Div', [mask, total], [g.fresh('box_share')]);
    boxWeights.push(ops.reshape(share, [-1, pixels, 1]));
    uniform.push(g.initializer(`uniform_${j}`, [pixels, 1], new Float32Array(pixels).fill(1 / pixels)));
  }
  /** Region means of maps [N, R, s²] at level j → [whole [N, R, 1], box [N, R, 1]]. */
  const pool = (maps: string, j: number): [string, string] => [
    g.node('MatMul', [maps, uniform[j]], [g.fresh('mean_all')]),
    g.node('MatMul', [maps, boxWeights[j]], [g.fresh('mean_box')]),
  ];

  // Input pyramid as single-channel images [N·C, 1, s, s] and first-order moduli U1_j [N·C, L, s, s].
  const inputs = [ops.reshape(SCATTERING_INPUT, [-1, 1, sizes[0], sizes[0]])];
  for (let j = 1; j < J; j++) inputs.push(decimate(inputs[j - 1]));
  const U1 = inputs.map((x, j) => moduli(x, sizes[j]));

  // Order 1 per region: [N, C, 1 + J] → [N, C·(1 + J)].
  const order1: [string[], string[]] = [[], []];
  const addOrder1 = ([all, box]: [string, string]) => (order1[0].push(all), order1[1].push(box));
  addOrder1(pool(ops.reshape(SCATTERING_INPUT, [-1, C, sizes[0] * sizes[0]]), 0));
  U1.forEach((u, j) => {
    const perChannel = ops.reshape(u, [-1, C, L, sizes[j] * sizes[j]]);
    addOrder1(pool(g.node('ReduceMean', [perChannel], [g.fresh('orientation_mean')], { axes: [2], keepdims: 0 }), j));
  });
  const order1Flat = order1.map((parts) => ops.reshape(ops.concat(parts, 2), [-1, layout.order1]));

  // Order 2: at level j2 the U1 maps of every finer scale, decimated to it ([N·C·j2·L, 1, s, s],
  // j1-major), filtered again. Pooled per region: [N, C, j2, L·L] → orientation differences [N, C, j2, L].
  const order2: [string[], string[]] = [[], []];
  let finer = '';
  for (let j2 = 1; j2 < J; j2++) {
    const previous = sizes[j2 - 1];
    const stacked = j2 === 1 ? U1[0] : ops.concat([ops.reshape(finer, [-1, (j2 - 1) * L, previous, previous]), U1[j2 - 1]], 1);
    finer = decimate(ops.reshape(stacked, [-1, 1, previous, previous]));
    const U2 = moduli(finer, sizes[j2]); // [N·C·j2·L, L, s, s]
    const pooled = pool(ops.reshape(U2, [-1, C * j2 * L * L, sizes[j2] * sizes[j2]]), j2);
    pooled.forEach((p, region) => {
      const byOrientation = ops.reshape(p, [-1, C, j2, L * L]);
      order2[region].push(g.node('MatMul', [byOrientation, orientationDifference], [g.fresh('orientation_difference')]));
    });
  }
  // Levels give pairs j2-major; reorder to the lexicographic (j1, j2) layout.
  const produced = scalePairs(J).sort(([a1, a2], [b1, b2]) => a2 - b2 || a1 - b1);
  const lexicographic = scalePairs(J).map(([j1, j2]) => produced.findIndex(([p1, p2]) => p1 === j1 && p2 === j2));
  const pairOrder = ops.ints(lexicographic);
  const order2Flat = order2.map((parts) => {
    const all = ops.concat(parts, 2);
    const ordered = g.node('Gather', [all, pairOrder], [g.fresh('pairs')], { axis: 2 });
    return ops.reshape(ordered, [-1, layout.order2]);
  });

  g.node('Concat', [order1Flat[0], order2Flat[0], order1Flat[1], order2Flat[1]], [SCATTERING_OUTPUT], { axis: 1 });
  g.output(SCATTERING_OUTPUT, ['N', layout.dim]);

  const macs = scatteringMacs(design);
  return {
    bytes: g.toBytes(),
    inputName: SCATTERING_INPUT,
    maskInputName: SCATTERING_MASK_INPUT,
    outputName: SCATTERING_OUTPUT,
    dim: layout.dim,
    subBlocks: layout.subBlocks,
    macsPerPatch: macs,
    flopsPerPatch: 2 * macs,
    design,
  };
}

/** Small helpers over the builder: int64 constants (shared by value), Reshape, reflect Pad, Concat. */
class GraphOps {
  private readonly constants = new Map<string, string>();

  constructor(private readonly g: OnnxGraphBuilder) {}

  ints(values: number[]): string {
    const key = values.join(',');
    let name = this.constants.get(key);
    if (!name) this.constants.set(key, (name = this.g.int64Initializer(this.g.fresh('ints'), [values.length], values)));
    return name;
  }

  reshape(tensor: string, shape: number[]): string {
    return this.g.node('Reshape', [tensor, this.ints(shape)], [this.g.fresh('reshaped')]);
  }

  /** numpy-'reflect' padding of the last two axes of a 4-D tensor. */
  pad(tensor: string, pad: number): string {
    if (pad === 0) return tensor;
    return this.g.node('Pad', [tensor, this.ints([0, 0, pad, pad, 0, 0, pad, pad])], [this.g.fresh('padded')], { mode: 'reflect' });
  }

  concat(tensors: string[], axis: number): string {
    return this.g.node('Concat', tensors, [this.g.fresh('concat')], { axis });
  }
}
