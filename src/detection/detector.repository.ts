import { Injectable } from '@nestjs/common';
import { DetectorManifest, DetectorManifestError, expectedOutputs, validateDetectorManifest } from '../ml/detector-manifest';
import { LoadedModel, ManifestContract, OnnxModelStore } from '../ml/onnx/onnx-model-store';
import { RawTensor } from '../detection-core/output-adapters';

export type LoadedDetector = LoadedModel<DetectorManifest>;

export const DETECTOR_CONTRACT: ManifestContract<DetectorManifest> = {
  validate: validateDetectorManifest,
  error: DetectorManifestError,
  identitySections: (manifest) => ({ model: manifest.model, input: manifest.input, output: manifest.output }),
  inputNames: (manifest) => [manifest.model.input],
  outputNames: expectedOutputs,
};

/** Detector model files and its onnxruntime session (the shared model store), and the detector's runs. */
@Injectable()
export class DetectorRepository extends OnnxModelStore<DetectorManifest> {
  constructor() {
    super(DETECTOR_CONTRACT);
  }

  /** One run on input [1, C, size, size]; returns the manifest's outputs. */
  async run(detector: LoadedDetector, input: Float32Array, dims: number[]): Promise<Record<string, RawTensor>> {
    const names = expectedOutputs(detector.manifest);
    return detector.session.run({ [detector.manifest.model.input]: { data: input, dims } }, names);
  }
}
