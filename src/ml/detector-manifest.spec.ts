import { buildDefaultDetector } from './default-detector/default-detector';
import { DetectorManifestError, expectedOutputs, validateDetectorManifest } from './detector-manifest';

describe('detector manifest', () => {
  const yolo = {
    schema: 'lesion-detector/v1',
    name: 'yolo-deeplesion',
    model: { file: 'model.onnx', input: 'images', outputs: { predictions: 'output0' } },
    input: { size: 512, windows: [[-1024, 3071]], sliceOffsetsMm: [-2, 0, 2], spacingMm: 0.8, minSide: 64, maxSide: 2048, maxAspect: 2 },
    output: { format: 'yolo', classes: 8, scoreThreshold: 0.25, nmsIou: 0.5, maxDetections: 100 },
  };

  it('accepts the default detector and a YOLO manifest', () => {
    expect(validateDetectorManifest(buildDefaultDetector().manifest).output.format).toBe('blob-scale-space');
    expect(expectedOutputs(validateDetectorManifest(yolo))).toEqual(['output0']);
  });

  it('lists every problem', () => {
    const bad = {
      ...yolo,
      name: 'Bad Name',
      output: { format: 'yolo', scoreThreshold: -1, nmsIou: 2, maxDetections: 0 },
      input: { ...yolo.input, windows: [[10, 0]] },
    };
    expect(() => validateDetectorManifest(bad)).toThrow(DetectorManifestError);
    try {
      validateDetectorManifest(bad);
    } catch (error) {
      const message = (error as Error).message;
      for (const part of ['name', 'windows', 'classes', 'scoreThreshold', 'nmsIou', 'maxDetections']) expect(message).toContain(part);
    }
  });

  it('needs the output names of its format', () => {
    expect(() => validateDetectorManifest({ ...yolo, output: { ...yolo.output, format: 'boxes-scores' } })).toThrow(/model.outputs.boxes/);
  });
});
