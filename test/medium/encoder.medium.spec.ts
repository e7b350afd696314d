import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { embeddingDim, EncoderManifest, ManifestError } from '../../src/ml/encoder-manifest';
import { combineEmbedding } from '../../src/ml/encoder.service';
import { PreparedPatch } from '../../src/ml/patch-job';
import { EncoderRepository } from '../../src/ml/encoder.repository';
import { OnnxGraphBuilder } from '../../src/ml/onnx/onnx-writer';

/** A tiny real ONNX model: per-channel mean of the patch, and the box mask's mean, → [N, 4]. */
function tinyEncoder(): Uint8Array {
  const g = new OnnxGraphBuilder('tiny-encoder');
  g.input('patch', ['N', 3, 8, 8]);
  g.input('box_mask', ['N', 1, 8, 8]);
  g.int64Initializer('shape', [2], [-1, 3]);
  g.int64Initializer('mask_shape', [2], [-1, 1]);
  g.node('ReduceMean', ['patch'], ['channel_means'], { axes: [2, 3], keepdims: 0 });
  g.node('ReduceMean', ['box_mask'], ['mask_mean'], { axes: [2, 3], keepdims: 0 });
  g.node('Reshape', ['channel_means', 'shape'], ['means']);
  g.node('Reshape', ['mask_mean', 'mask_shape'], ['mask']);
  g.node('Concat', ['means', 'mask'], ['embedding'], { axis: 1 });
  g.output('embedding', ['N', 4]);
  return g.toBytes();
}

const manifest: EncoderManifest = {
  schema: 'lesion-encoder/v1',
  name: 'tiny',
  model: { file: 'model.onnx', inputs: { patch: 'patch', boxMask: 'box_mask' }, output: 'embedding', dim: 4 },
  input: {
    size: 8,
    windows: [
      [-1350, 150],
      [-160, 240],
      [-500, 1300],
    ],
    context: { px: 32 },
    sliceOffsetsMm: [0],
  },
  descriptor: { blocks: [{ kind: 'model', weight: 1 }] },
};

describe('encoder repository on a real ONNX model (medium)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'encoder-medium-'));
  const repository = new EncoderRepository();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a model folder atomically, loads it with its sha256 and runs dynamic batches', async () => {
    const modelDir = path.join(dir, 'tiny');
    await repository.writeModel(modelDir, manifest, tinyEncoder());
    expect(fs.readdirSync(dir)).toEqual(['tiny']);
    const encoder = await repository.load(modelDir, ['cpu'], 1);
    expect(encoder.modelId).toMatch(/^[0-9a-f]{64}$/);
    for (const batch of [1, 5]) {
      const patch = new Float32Array(batch * 3 * 64);
      for (let b = 0; b < batch; b++) for (let c = 0; c < 3; c++) patch.fill(b + c / 10, (b * 3 + c) * 64, (b * 3 + c + 1) * 64);
      const mask = new Float32Array(batch * 64).fill(0.25);
      const out = await repository.run(encoder, batch, patch, mask);
      expect(out).toHaveLength(batch * 4);
      expect(Array.from(out.slice((batch - 1) * 4)).map((v) => Number(v.toFixed(4)))).toEqual(
        [batch - 1, batch - 1 + 0.1, batch - 1 + 0.2, 0.25].map((v) => Number(v.toFixed(4))),
      );
    }
    await repository.release(encoder);
  });

  it('loads an encoder with a fitted projection: a new model id, and embeddings mapped after the blocks are joined', async () => {
    const projected: EncoderManifest = {
      ...manifest,
      name: 'tiny-projected',
      descriptor: { ...manifest.descriptor, projection: { method: 'lda', dims: 2, mean: [0.5, 0, 0, 0], weights: [1, 0, 0, 1, 0, 0, 2, 0] } },
    };
    await repository.writeModel(path.join(dir, 'tiny-projected'), projected, tinyEncoder());
    await repository.writeModel(path.join(dir, 'tiny-plain'), manifest, tinyEncoder());
    const encoder = await repository.load(path.join(dir, 'tiny-projected'), ['cpu'], 1);
    const plain = await repository.load(path.join(dir, 'tiny-plain'), ['cpu'], 1);
    expect(encoder.modelId).not.toBe(plain.modelId);
    expect(embeddingDim(encoder.manifest)).toBe(2);
    const prepared = { histogram: new Float32Array(64), position: new Float32Array(169) } as unknown as PreparedPatch;
    const joined = combineEmbedding(plain.manifest, Float32Array.from([3, 0, 4, 0]), prepared); // [0.6, 0, 0.8, 0]
    const mapped = combineEmbedding(encoder.manifest, Float32Array.from([3, 0, 4, 0]), prepared);
    expect(Array.from(joined).map((v) => Number(v.toFixed(6)))).toEqual([0.6, 0, 0.8, 0]);
    // weights row-major (4 × 2): x0 → y0, x1 → y1, x3 → y0 · 2; minus mean [0.5, 0, 0, 0].
    expect(Array.from(mapped).map((v) => Number(v.toFixed(6)))).toEqual([0.1, 0]);
    await repository.release(encoder);
    await repository.release(plain);
  });

  it('refuses a model that does not match its manifest, saying what differs', async () => {
    const modelDir = path.join(dir, 'mismatch');
    await repository.writeModel(modelDir, { ...manifest, model: { ...manifest.model, output: 'features' } }, tinyEncoder());
    await expect(repository.load(modelDir, ['cpu'], 1)).rejects.toThrow(/outputs embedding \(manifest wants features\)/);
    const wrongDim = path.join(dir, 'wrong-dim');
    await repository.writeModel(wrongDim, { ...manifest, model: { ...manifest.model, dim: 7 } }, tinyEncoder());
    const encoder = await repository.load(wrongDim, ['cpu'], 1);
    await expect(repository.run(encoder, 1, new Float32Array(192), null)).rejects.toThrow(ManifestError);
    await repository.release(encoder);
  });

  it('refuses a folder without a valid manifest', async () => {
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    await expect(repository.load(empty, ['cpu'], 1)).rejects.toThrow(/cannot read manifest.json/);
  });
});
