import { DETECTOR_MANIFEST_SCHEMA, DetectorManifest } from '../detector-manifest';
import { buildBlobModel } from './blob-model';

export const DEFAULT_DETECTOR_NAME = 'default-blob';

/**
 * The default detector, written by our own code: the difference-of-Gaussians scale space of the
 * soft-tissue and lung windows as ONNX (separable Gaussian Conv nodes), read by the TypeScript
 * candidate stage (src/detection/blob-candidates.ts). Deterministic bytes, so its id only changes
 * with the design.
 */
export function buildDefaultDetector(): { manifest: DetectorManifest; bytes: Uint8Array } {
  const windows: [number, number][] = [
    [-160, 240],
    [-1350, 150],
  ];
  const model = buildBlobModel(windows.length);
  const manifest: DetectorManifest = {
    schema: DETECTOR_MANIFEST_SCHEMA,
    name: DEFAULT_DETECTOR_NAME,
    description:
      'Training-free lesion candidates: multi-scale blob peaks (difference of Gaussians) on soft-tissue and lung windows, both polarities, inside the body; scored by disc-versus-ring contrast over spread with penalties for elongation, the body outline, bright bone, strong enhancement, fat or gas, small scale and left-right symmetry; boxes refined at the disc/ring midpoint.',
    model: { file: 'model.onnx', input: model.inputName, outputs: { octaves: model.outputNames } },
    input: { size: 512, windows, sliceOffsetsMm: [0], spacingMm: null, maskOutsideBody: true, normalisation: null, minSide: 64, maxSide: 2048, maxAspect: 2 },
    // scoreThreshold: about 4 false positives per slice on the 51 real sample lesions (docs/BENCHMARKS.md).
    output: { format: 'blob-scale-space', scoreThreshold: 0.9, nmsIou: 0.3, maxDetections: 50 },
  };
  return { manifest, bytes: model.bytes };
}
