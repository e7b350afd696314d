import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Detection, DetectionOptions, PreparedInput, prepareDetectorInput, SliceInput } from '../detection-core/detector-io';
import { DEFAULT_DETECTOR_NAME, buildDefaultDetector } from '../ml/default-detector/default-detector';
import { DetectorManifest } from '../ml/detector-manifest';
import { ModelLifecycle, ModelState } from '../ml/onnx/model-lifecycle';
import { UploadDecoder } from '../uploads/upload-decoder.service';
import { DetectorRepository, LoadedDetector } from './detector.repository';
import { RawTensor } from '../detection-core/output-adapters';

export { checkDimensions, MIN_BODY_FRACTION } from '../detection-core/detector-io';
export type { Detection, PreparedInput, SliceInput } from '../detection-core/detector-io';

export interface DetectorStatus {
  state: ModelState;
  message: string | null;
  name: string;
  modelId: string | null;
  outputFormat: string | null;
}

/**
 * The lesion detector: loads (for the default model, first writes) the ONNX model named by
 * DETECTOR_MODEL with its manifest, prepares slices as the manifest says, runs the model and reads
 * its output through the adapter for its format, then score threshold, NMS and the cap on boxes.
 */
@Injectable()
export class DetectorService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Detector');
  private readonly model: ModelLifecycle<DetectorManifest>;

  constructor(
    private readonly repository: DetectorRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly workers: UploadDecoder,
  ) {
    this.model = new ModelLifecycle(repository, 'detector', this.logger);
  }

  async onModuleInit(): Promise<void> {
    const { modelsDir, executionProviders } = this.config.encoder;
    await this.model.open({
      modelsDir,
      name: this.config.detector.model,
      providers: executionProviders,
      intraOpThreads: this.config.detector.intraOpThreads,
      builtIn: { name: DEFAULT_DETECTOR_NAME, build: buildDefaultDetector },
      warmUp: async (detector) => {
        const { size } = detector.manifest.input;
        await this.repository.run(detector, new Float32Array(this.channels * size * size), [1, this.channels, size, size]);
      },
      describe: (detector) => detector.manifest.output.format,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.model.close();
  }

  status(): DetectorStatus {
    const detector = this.model.current;
    return {
      state: this.model.state,
      message: this.model.message,
      name: detector?.manifest.name ?? this.config.detector.model,
      modelId: detector?.modelId ?? null,
      outputFormat: detector?.manifest.output.format ?? null,
    };
  }

  get loaded(): LoadedDetector {
    return this.model.loaded;
  }

  private get channels(): number {
    const { windows, sliceOffsetsMm } = this.loaded.manifest.input;
    return windows.length * sliceOffsetsMm.length;
  }

  /** Checks the slice against the manifest and builds the model input (here, on the calling thread: the benchmark's baseline). */
  prepare(slice: SliceInput): PreparedInput {
    return prepareDetectorInput(this.loaded.manifest, slice);
  }

  /** The model run alone, on a prepared input (what the benchmark compares against). */
  runModel(prepared: PreparedInput): Promise<Record<string, RawTensor>> {
    return this.repository.run(this.loaded, prepared.input, prepared.dims);
  }

  /**
   * Boxes of one slice in its own pixel coordinates, best first. Preparation and reading the outputs run on
   * a decode worker and the model on its inference thread: the event loop only passes arrays along.
   */
  async detect(
    slice: SliceInput,
    options: DetectionOptions = {},
  ): Promise<{ detections: Detection[]; timingsMs: { prepare: number; model: number; decode: number } }> {
    const manifest = this.loaded.manifest;
    const t0 = performance.now();
    const prepared = await this.workers.detectorInput(slice, manifest);
    const t1 = performance.now();
    const outputs = await this.runModel(prepared);
    const t2 = performance.now();
    const detections = await this.workers.detections(manifest, prepared, outputs, options);
    return { detections, timingsMs: { prepare: t1 - t0, model: t2 - t1, decode: performance.now() - t2 } };
  }
}

/** 503 while the detector loads or after it failed to load (detection, and starting a detection job). */
export function requireReadyDetector(detector: Pick<DetectorService, 'status'>): void {
  const { state } = detector.status();
  if (state !== 'ready')
    throw new ServiceUnavailableException(state === 'loading' ? 'The detector is still loading' : 'The detector failed to load (see the service log)');
}
