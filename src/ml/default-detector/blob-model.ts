import { OnnxGraphBuilder } from '../onnx/onnx-writer';
import { gaussianTaps, OCTAVES, octaveIncrements, SCALE_STEP, SCALES_PER_OCTAVE } from './scale-space';

export const BLOB_MODEL_INPUT = 'image';
/** One output per octave: [1, C·SCALES_PER_OCTAVE, H/2^o, W/2^o], channel-major (c·3 + level). */
export const blobOutputName = (octave: number) => `dog_octave_${octave}`;

export interface BlobModel {
  bytes: Uint8Array;
  inputName: string;
  outputNames: string[];
  channels: number;
}

/**
 * Writes the default detector's filter stage as ONNX: for each input channel (a windowed slice scaled
 * to [0, 1]) the difference-of-Gaussians scale space (see scale-space.ts) with separable Gaussian Conv
 * nodes, edge padding, and stride-2 Slice between octaves. Input [1, C, H, W] with H and W divisible
 * by 2^(OCTAVES−1); outputs per octave the scale-normalised responses (bright blob → positive).
 */
export function buildBlobModel(channels: number, octaves = OCTAVES): BlobModel {
  const g = new OnnxGraphBuilder('default_blob_detector', `difference-of-Gaussians scale space, ${octaves} octaves × ${SCALES_PER_OCTAVE} levels`);
  g.input(BLOB_MODEL_INPUT, [1, channels, 'H', 'W']);
  const ints = new Map<string, string>();
  const int = (values: number[]) => {
    const key = values.join(',');
    if (!ints.has(key)) ints.set(key, g.int64Initializer(g.fresh('ints'), [values.length], values));
    return ints.get(key)!;
  };
  const kernels = new Map<string, [string, string, number]>();
  const blur = (x: string, sigma: number): string => {
    const key = sigma.toFixed(6);
    if (!kernels.has(key)) {
      const taps = gaussianTaps(sigma);
      kernels.set(key, [
        g.initializer(g.fresh('gauss_x'), [1, 1, 1, taps.length], taps),
        g.initializer(g.fresh('gauss_y'), [1, 1, taps.length, 1], taps),
        (taps.length - 1) / 2,
      ]);
    }
    const [kx, ky, r] = kernels.get(key)!;
    const padded = g.node('Pad', [x, int([0, 0, r, r, 0, 0, r, r])], [g.fresh('padded')], { mode: 'edge' });
    const h = g.node('Conv', [padded, kx], [g.fresh('blur_x')]);
    return g.node('Conv', [h, ky], [g.fresh('blur_y')]);
  };
  const norm = g.initializer('dog_norm', [1], [1 / (SCALE_STEP - 1)]);
  // Channels become the batch so one single-channel kernel serves all: [C, 1, H, W].
  let base = g.node('Reshape', [BLOB_MODEL_INPUT, int([channels, 1, 0, 0])], [g.fresh('planes')], { allowzero: 0 });
  const outputs: string[] = [];
  for (let o = 0; o < octaves; o++) {
    const increments = octaveIncrements(o === 0 ? 0.5 : 2);
    const gaussians: string[] = [];
    let current = base;
    for (let j = 0; j <= SCALES_PER_OCTAVE; j++) {
      current = blur(current, increments[j]);
      gaussians.push(current);
    }
    const dogs = gaussians.slice(0, SCALES_PER_OCTAVE).map((lower, j) => g.node('Sub', [lower, gaussians[j + 1]], [g.fresh('dog')]));
    const stacked = g.node('Concat', dogs, [g.fresh('dogs')], { axis: 1 }); // [C, 3, h, w]
    const scaled = g.node('Mul', [stacked, norm], [g.fresh('dogs_scaled')]);
    const name = blobOutputName(o);
    g.node('Reshape', [scaled, int([1, channels * SCALES_PER_OCTAVE, 0, 0])], [name], { allowzero: 0 });
    g.output(name, [1, channels * SCALES_PER_OCTAVE, `H${o}`, `W${o}`]);
    outputs.push(name);
    if (o + 1 < octaves) {
      // σ 4 in this octave's pixels is σ 2 in the next one's.
      base = g.node('Slice', [gaussians[SCALES_PER_OCTAVE], int([0, 0]), int([2 ** 40, 2 ** 40]), int([2, 3]), int([2, 2])], [g.fresh('subsampled')]);
    }
  }
  return { bytes: g.toBytes(), inputName: BLOB_MODEL_INPUT, outputNames: outputs, channels };
}
