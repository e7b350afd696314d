import { Injectable } from '@nestjs/common';
import { OnnxTensor } from './onnx/session-protocol';
import { EncoderManifest, inputChannels, ManifestError, validateManifest } from './encoder-manifest';
import { LoadedModel, ManifestContract, modelIdentity as onnxModelIdentity, OnnxModelStore } from './onnx/onnx-model-store';

export { MANIFEST_FILE, serialiseManifest } from './onnx/onnx-model-store';

/** A loaded encoder; its modelId is stored with every embedding. */
export type LoadedEncoder = LoadedModel<EncoderManifest>;

export const ENCODER_CONTRACT: ManifestContract<EncoderManifest> = {
  validate: validateManifest,
  error: ManifestError,
  // The sections that change the vectors: input preparation, descriptor blocks and weights.
  identitySections: (manifest) => ({ model: manifest.model, input: manifest.input, descriptor: manifest.descriptor }),
  inputNames: (manifest) => [manifest.model.inputs.patch, ...(manifest.model.inputs.boxMask ? [manifest.model.inputs.boxMask] : [])],
  outputNames: (manifest) => [manifest.model.output],
};

/** Encoder model files and its onnxruntime session (the shared model store), and the encoder's runs. */
@Injectable()
export class EncoderRepository extends OnnxModelStore<EncoderManifest> {
  constructor() {
    super(ENCODER_CONTRACT);
  }

  /** Runs one batch; returns the output rows, checking the output size against the manifest. */
  async run(encoder: LoadedEncoder, batch: number, patch: Float32Array, boxMask: Float32Array | null): Promise<Float32Array> {
    const { manifest, session } = encoder;
    const size = manifest.input.size;
    const feeds: Record<string, OnnxTensor> = {
      [manifest.model.inputs.patch]: { data: patch, dims: [batch, inputChannels(manifest), size, size] },
    };
    if (manifest.model.inputs.boxMask) {
      feeds[manifest.model.inputs.boxMask] = { data: boxMask ?? new Float32Array(batch * size * size).fill(1), dims: [batch, 1, size, size] };
    }
    const result = await session.run(feeds, [manifest.model.output]);
    const output = result[manifest.model.output];
    const data = output.data;
    if (data.length !== batch * manifest.model.dim) {
      throw new ManifestError(`model output has ${data.length / batch} values per patch, the manifest says ${manifest.model.dim}`);
    }
    return data;
  }
}

export function modelIdentity(onnx: Uint8Array, manifest: EncoderManifest): string {
  return onnxModelIdentity(onnx, ENCODER_CONTRACT.identitySections(manifest));
}
