import { loadConfig } from '../config/app-config';
import { DetectorManifest } from '../ml/detector-manifest';
import { InputError } from '../common/input-error';
import { DetectorRepository, LoadedDetector } from './detector.repository';
import { DetectorService } from './detector.service';
import { RawTensor } from '../detection-core/output-adapters';
import { prepareDetectorInput, readDetections } from '../detection-core/detector-io';
import { UploadDecoder } from '../uploads/upload-decoder.service';

/** A 512² slice: air around a body disc (40 HU). */
function slice(width = 512, height = 512, body = true) {
  const data = new Float32Array(width * height).fill(-1000);
  if (body)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) if (Math.hypot(x - width / 2, y - height / 2) < Math.min(width, height) * 0.4) data[y * width + x] = 40;
  return { width, height, data, spacing: null };
}

function manifest(output: DetectorManifest['output'], outputs: DetectorManifest['model']['outputs']): DetectorManifest {
  return {
    schema: 'lesion-detector/v1',
    name: 'fake',
    model: { file: 'model.onnx', input: 'images', outputs },
    input: { size: 256, windows: [[-160, 240]], sliceOffsetsMm: [0], spacingMm: null, maskOutsideBody: true, minSide: 64, maxSide: 1024, maxAspect: 2 },
    output,
  };
}

async function serviceWith(m: DetectorManifest, outputs: Record<string, RawTensor>) {
  const loaded = { manifest: m, modelId: 'f'.repeat(64), session: {}, providers: ['cpu'] } as unknown as LoadedDetector;
  const repository = {
    load: jest.fn().mockResolvedValue(loaded),
    run: jest.fn().mockResolvedValue(outputs),
    release: jest.fn(),
  } as unknown as DetectorRepository;
  // The decode workers' part, on this thread (the worker runs the same two functions).
  const workers = {
    detectorInput: async (input, manifest) => prepareDetectorInput(manifest, input),
    detections: async (manifest, prepared, raw, options) => readDetections(manifest, prepared, raw, options),
  } as Pick<UploadDecoder, 'detectorInput' | 'detections'> as UploadDecoder;
  const service = new DetectorService(repository, loadConfig({ DETECTOR_MODEL: 'fake', MODELS_DIR: '/nonexistent', LOG_LEVEL: 'error' }), workers);
  await service.onModuleInit();
  expect(service.status().state).toBe('ready');
  return { service, repository };
}

describe('DetectorService with a mocked model', () => {
  it('reads boxes + scores in model pixels, thresholds, suppresses overlaps and maps back to the slice', async () => {
    const m = manifest({ format: 'boxes-scores', scoreThreshold: 0.3, nmsIou: 0.5, maxDetections: 10 }, { boxes: 'boxes', scores: 'scores' });
    const boxes = { data: Float32Array.from([100, 100, 120, 130, 101, 101, 121, 131, 10, 10, 30, 30, 50, 50, 60, 60]), dims: [4, 4] };
    const scores = { data: Float32Array.from([0.9, 0.8, 0.5, 0.1]), dims: [4] };
    const { service, repository } = await serviceWith(m, { boxes, scores });
    const { detections } = await service.detect({ image: slice() });
    // 512 → 256: the model's pixels are twice the slice's.
    expect(detections.map((d) => [d.box, d.score])).toEqual([
      [{ x1: 200, y1: 200, x2: 240, y2: 260 }, 0.9],
      [{ x1: 20, y1: 20, x2: 60, y2: 60 }, 0.5],
    ]);
    const [, input, dims] = (repository.run as jest.Mock).mock.calls.at(-1);
    expect(dims).toEqual([1, 1, 256, 256]);
    expect(input[0]).toBe(0); // outside the body: the window's low end
    expect(input[128 * 256 + 128]).toBeCloseTo((40 + 160) / 400, 5);
    expect((await service.detect({ image: slice() }, { scoreThreshold: 0 })).detections).toHaveLength(3);
  });

  it('reads the YOLO layout and names the class', async () => {
    const m = manifest(
      { format: 'yolo', classes: 2, classNames: ['lesion', 'node'], scoreThreshold: 0.25, nmsIou: 0.5, maxDetections: 10 },
      { predictions: 'output0' },
    );
    const rows = [
      [64, 200],
      [64, 200],
      [20, 10],
      [10, 10],
      [0.1, 0.9],
      [0.7, 0.05],
    ];
    const { service } = await serviceWith(m, { output0: { data: Float32Array.from(rows.flat()), dims: [1, 6, 2] } });
    const { detections } = await service.detect({ image: slice() });
    expect(detections).toEqual([
      { box: { x1: 390, y1: 390, x2: 410, y2: 410 }, score: 0.9, detail: { classIndex: 0, className: 'lesion' } },
      { box: { x1: 108, y1: 118, x2: 148, y2: 138 }, score: 0.7, detail: { classIndex: 1, className: 'node' } },
    ]);
  });

  it('refuses slices of the wrong dimensions, mismatched neighbours and empty slices with 422', async () => {
    const m = manifest({ format: 'boxes-scores', scoreThreshold: 0, nmsIou: 0.5, maxDetections: 10 }, { boxes: 'b', scores: 's' });
    const { service } = await serviceWith(m, { b: { data: new Float32Array(0), dims: [0, 4] }, s: { data: new Float32Array(0), dims: [0] } });
    const error = (run: () => unknown) => {
      try {
        run();
      } catch (e) {
        return e as InputError;
      }
      throw new Error('no error');
    };
    expect(error(() => service.prepare({ image: slice(32, 32) }))).toMatchObject({
      status: 422,
      message: expect.stringMatching(/32x32.*64 to 1024/),
    });
    expect(error(() => service.prepare({ image: slice(512, 128) })).message).toMatch(/longer than wide/);
    expect(error(() => service.prepare({ image: slice(), neighbours: [{ offsetMm: 2, image: slice(256, 256) }] })).message).toMatch(/neighbouring slice/);
    expect(error(() => service.prepare({ image: slice(512, 512, false) })).message).toMatch(/no body found/);
  });
});
