import { embeddingDim, EncoderManifest, inputChannels, manifestModalities, ManifestError, validateManifest } from './encoder-manifest';

const valid: EncoderManifest = {
  schema: 'lesion-encoder/v1',
  name: 'trained-triplet',
  model: { file: 'model.onnx', inputs: { patch: 'input' }, output: 'embedding', dim: 128 },
  input: {
    size: 64,
    windows: [
      [-1350, 150],
      [-160, 240],
      [-500, 1300],
    ],
    context: { mm: 96, fallbackSpacingMm: 0.8 },
    sliceOffsetsMm: [-2, 0, 2],
  },
  descriptor: {
    blocks: [
      { kind: 'model', weight: 1 },
      { kind: 'hu-histogram', weight: 1 },
      { kind: 'body-position', weight: 0.5 },
    ],
  },
};

describe('encoder manifest', () => {
  it('accepts a valid manifest and derives channels and embedding size', () => {
    const manifest = validateManifest(JSON.parse(JSON.stringify(valid)));
    expect(inputChannels(manifest)).toBe(9);
    expect(embeddingDim(manifest)).toBe(128 + 64 + 169);
  });

  it('takes CT unless the manifest lists its modalities, and refuses a malformed list', () => {
    expect(manifestModalities(validateManifest(JSON.parse(JSON.stringify(valid))))).toEqual(['CT']);
    expect(manifestModalities(validateManifest({ ...valid, input: { ...valid.input, modalities: ['CT', 'MR'] } }))).toEqual(['CT', 'MR']);
    for (const modalities of [[], ['ct'], 'CT', [1]])
      expect(() => validateManifest({ ...valid, input: { ...valid.input, modalities } })).toThrow(/input.modalities/);
  });

  it('lists every problem at once', () => {
    const broken = { ...valid, name: 'Bad Name', model: { ...valid.model, file: '../x.onnx', dim: 0 }, input: { ...valid.input, windows: [[100, -100]] } };
    let error: unknown;
    try {
      validateManifest(broken);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ManifestError);
    const message = (error as Error).message;
    for (const part of ['name', 'model.file', 'model.dim', 'input.windows']) expect(message).toContain(part);
  });

  it('requires exactly one model block and sub-blocks that add up', () => {
    expect(() => validateManifest({ ...valid, descriptor: { blocks: [{ kind: 'hu-histogram', weight: 1 }] } })).toThrow(/exactly one "model" block/);
    expect(() => validateManifest({ ...valid, descriptor: { blocks: [{ kind: 'model', weight: 1, subBlocks: [100, 20] }] } })).toThrow(/summing to model.dim/);
    expect(() => validateManifest({ ...valid, input: { ...valid.input, normalisation: { mean: [0], std: [1] } } })).toThrow(/each of the 9 channels/);
  });

  it('takes a fitted projection of the joined blocks: the embedding has its dims; wrong sizes are refused', () => {
    const joined = 128 + 64 + 169;
    const projection = { method: 'lda', dims: 3, mean: new Array(joined).fill(0), weights: new Array(joined * 3).fill(0.5) };
    const manifest = validateManifest(JSON.parse(JSON.stringify({ ...valid, descriptor: { ...valid.descriptor, projection } })));
    expect(embeddingDim(manifest)).toBe(3);
    expect(() => validateManifest({ ...valid, descriptor: { ...valid.descriptor, projection: { ...projection, mean: [0] } } })).toThrow(
      /mean must hold 361 numbers/,
    );
    expect(() => validateManifest({ ...valid, descriptor: { ...valid.descriptor, projection: { ...projection, weights: [1, 2] } } })).toThrow(
      /weights must hold 361 × 3 numbers/,
    );
    expect(() => validateManifest({ ...valid, descriptor: { ...valid.descriptor, projection: { ...projection, dims: 0 } } })).toThrow(/positive integer dims/);
    expect(() =>
      validateManifest({ ...valid, descriptor: { ...valid.descriptor, projection: { ...projection, mean: [...projection.mean.slice(1), 'x'] } } }),
    ).toThrow(/mean must hold/);
  });
});
