import * as path from 'node:path';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Box, HuImage } from '../imaging/hu-image';
import { DEFAULT_ENCODER_NAME, buildDefaultEncoder } from './default-encoder/default-model';
import { combineBlocks } from './descriptor/combine';
import { embeddingDim, EncoderManifest } from './encoder-manifest';
import { applyProjection } from './projection/apply-projection';
import { EncoderRepository, LoadedEncoder, serialiseManifest } from './encoder.repository';
import { ParkedModels } from './parked-models';
import { PatchJob, PreparedPatch, PrepareResult } from './patch-job';
import { PatchPreparer } from './patch-preparer';
import { preparePatch } from './prepare-patch';

export interface EncoderStatus {
  state: 'loading' | 'ready' | 'failed';
  message: string | null;
  name: string;
  modelId: string | null;
  dim: number | null;
  providers: string[];
}

/** A model loaded beside the active one, with its own patch preparers. */
export interface OpenModel {
  encoder: LoadedEncoder;
  preparer: PatchPreparer;
}

export type EmbedResult = { ok: true; key: number; vector: Float32Array } | { ok: false; key: number; message: string };

/**
 * The lesion encoder: loads (and for the default model, first writes) the ONNX model named by the
 * configuration, validates it against its manifest, warms it up, and turns lesions into embeddings:
 * patch preparation on worker threads overlapping the model runs, then the manifest's block weighting.
 */
@Injectable()
export class EncoderService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Encoder');
  private encoder: LoadedEncoder | null = null;
  private preparer: PatchPreparer | null = null;
  private state: EncoderStatus['state'] = 'loading';
  private failure: string | null = null;
  /**
   * Encoders switched away from (models swapped at run time), kept loaded so that switching back is instant:
   * at most PARKED_MODELS, least recently parked first (the first to go).
   */
  private readonly parked = new ParkedModels<OpenModel>();
  /** Runs in flight per encoder: a released encoder is closed only once its last run has ended. */
  private readonly runs = new Map<LoadedEncoder, number>();
  /** Released encoders that were still running, closed when their last run ends. */
  private readonly closing = new Map<LoadedEncoder, OpenModel>();

  constructor(
    private readonly repository: EncoderRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const { modelsDir, model, executionProviders, intraOpThreads, prepareWorkers } = this.config.encoder;
    const dir = path.join(modelsDir, model);
    try {
      if (model === DEFAULT_ENCODER_NAME) await this.writeDefaultModelIfChanged(dir);
      this.encoder = await this.repository.load(dir, executionProviders, intraOpThreads);
      this.preparer = new PatchPreparer(this.encoder.manifest, prepareWorkers);
      // Warm-up: the first run allocates and optimises; do it before the first request pays for it.
      await this.warmUp(this.encoder);
      this.state = 'ready';
      this.logger.log(
        `Encoder ${this.encoder.manifest.name} ready (model ${this.encoder.modelId.slice(0, 12)}, ${this.dim} dims, ${executionProviders.join('+')})`,
      );
    } catch (error) {
      this.state = 'failed';
      this.failure = (error as Error).message;
      this.logger.error(`Encoder ${model} failed to load: ${this.failure}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.preparer?.close();
    if (this.encoder) await this.repository.release(this.encoder);
    this.encoder = null;
    for (const model of [...this.parked.drain(), ...this.closing.values()]) await this.closeModel(model);
    this.closing.clear();
  }

  /**
   * Opens and warms up a model to switch to (or finds it parked by an earlier switch); `use` then makes it
   * the active encoder. Nothing changes for searches until then.
   */
  async prepareSwitch(modelId: string, folder: string): Promise<OpenModel> {
    const parked = this.parked.get(modelId);
    if (parked) return parked;
    const model = await this.openModel(folder);
    try {
      await this.warmUp(model.encoder);
    } catch (error) {
      await this.closeModel(model);
      throw error;
    }
    return model;
  }

  /**
   * Makes a prepared model the active encoder at once; the previous one is parked for switching back, and
   * parked ones beyond PARKED_MODELS (the least recently parked) are released.
   */
  use(model: OpenModel): void {
    const previous =
      this.encoder && this.preparer && this.encoder.modelId !== model.encoder.modelId ? { encoder: this.encoder, preparer: this.preparer } : null;
    this.parked.take(model.encoder.modelId);
    this.encoder = model.encoder;
    this.preparer = model.preparer;
    this.state = 'ready';
    this.failure = null;
    if (!previous) return;
    for (const [modelId, evicted] of this.parked.park(previous.encoder.modelId, previous, this.config.encoder.parkedModels)) {
      this.logger.log(`Released parked encoder ${evicted.encoder.manifest.name} (${modelId.slice(0, 12)})`);
      void this.closeWhenIdle(evicted);
    }
  }

  /** The models parked by switches, least recently parked first. */
  parkedModelIds(): string[] {
    return this.parked.modelIds();
  }

  /** Releases a parked model (no longer registered, say); false when it was not parked. */
  async releaseParked(modelId: string): Promise<boolean> {
    const model = this.parked.take(modelId);
    if (model) await this.closeWhenIdle(model);
    return model !== undefined;
  }

  /** Releases a model prepared for a switch that did not happen (parked or freshly opened). */
  async discard(model: OpenModel): Promise<void> {
    if (model.encoder === this.encoder) return;
    if (this.parked.get(model.encoder.modelId)?.encoder === model.encoder) this.parked.take(model.encoder.modelId);
    await this.closeWhenIdle(model);
  }

  /** Closes a released model now, or when the last run using it ends (closing a session under a run is unsafe). */
  private async closeWhenIdle(model: OpenModel): Promise<void> {
    if (this.runs.has(model.encoder)) {
      this.closing.set(model.encoder, model);
      return;
    }
    await this.closeModel(model).catch((error: Error) => this.logger.error(`Releasing encoder ${model.encoder.modelId.slice(0, 12)} failed: ${error.message}`));
  }

  /** Runs `work` with the encoder counted as in use, so that releasing it waits for the work. */
  private async running<T>(encoder: LoadedEncoder, work: () => Promise<T>): Promise<T> {
    this.runs.set(encoder, (this.runs.get(encoder) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = this.runs.get(encoder)! - 1;
      if (left > 0) this.runs.set(encoder, left);
      else {
        this.runs.delete(encoder);
        const released = this.closing.get(encoder);
        this.closing.delete(encoder);
        if (released) await this.closeWhenIdle(released);
      }
    }
  }

  private async warmUp(encoder: LoadedEncoder): Promise<void> {
    const size = encoder.manifest.input.size;
    const channels = encoder.manifest.input.windows.length * encoder.manifest.input.sliceOffsetsMm.length;
    await this.repository.run(encoder, 1, new Float32Array(channels * size * size), new Float32Array(size * size).fill(1));
  }

  status(): EncoderStatus {
    return {
      state: this.state,
      message: this.failure,
      name: this.encoder?.manifest.name ?? this.config.encoder.model,
      modelId: this.encoder?.modelId ?? null,
      dim: this.encoder ? this.dim : null,
      providers: this.encoder?.providers ?? this.config.encoder.executionProviders,
    };
  }

  /** The loaded encoder, or an error saying why there is none. */
  get loaded(): LoadedEncoder {
    if (!this.encoder) throw new Error(this.failure ? `the encoder failed to load: ${this.failure}` : 'the encoder is still loading');
    return this.encoder;
  }

  get dim(): number {
    return embeddingDim(this.loaded.manifest);
  }

  /**
   * Embeds lesions given as file jobs, batch by batch: while the model runs on one batch, the
   * workers prepare the next. `onBatch` receives each batch's results as soon as they exist.
   */
  async embedJobs(jobs: PatchJob[], onBatch: (results: EmbedResult[]) => Promise<void>): Promise<void> {
    await this.embedJobsWith({ encoder: this.loaded, preparer: this.preparer! }, jobs, onBatch);
  }

  /**
   * Loads another model folder under MODELS_DIR beside the active one (a model being registered), with its
   * own patch preparers; throws ManifestError when it does not meet the manifest contract. Close it after use.
   */
  async openModel(folder: string): Promise<OpenModel> {
    const { modelsDir, executionProviders, intraOpThreads, prepareWorkers } = this.config.encoder;
    const encoder = await this.repository.load(path.join(modelsDir, folder), executionProviders, intraOpThreads);
    return { encoder, preparer: new PatchPreparer(encoder.manifest, prepareWorkers) };
  }

  async closeModel(model: OpenModel): Promise<void> {
    await model.preparer.close();
    await this.repository.release(model.encoder);
  }

  /** embedJobs with an opened model. */
  embedJobsWith(model: OpenModel, jobs: PatchJob[], onBatch: (results: EmbedResult[]) => Promise<void>): Promise<void> {
    return this.running(model.encoder, () => this.embedBatches(model, jobs, onBatch));
  }

  private async embedBatches(model: OpenModel, jobs: PatchJob[], onBatch: (results: EmbedResult[]) => Promise<void>): Promise<void> {
    const { encoder, preparer } = model;
    const batchSize = this.config.encoder.batchSize;
    const batches: PatchJob[][] = [];
    for (let i = 0; i < jobs.length; i += batchSize) batches.push(jobs.slice(i, i + batchSize));
    let next: Promise<PrepareResult[]> | null = batches.length ? preparer.prepare(batches[0]) : null;
    for (let b = 0; b < batches.length; b++) {
      const prepared = await next!;
      next = b + 1 < batches.length ? preparer.prepare(batches[b + 1]) : null;
      const ok = prepared.filter((p): p is Extract<PrepareResult, { ok: true }> => p.ok).map((p) => p.prepared);
      const vectors = ok.length ? await this.encodePrepared(encoder, ok) : [];
      const results: EmbedResult[] = [
        ...ok.map((p, i): EmbedResult => ({ ok: true, key: p.key, vector: vectors[i] })),
        ...prepared.filter((p): p is Extract<PrepareResult, { ok: false }> => !p.ok).map((p): EmbedResult => ({ ok: false, key: p.key, message: p.message })),
      ];
      await onBatch(results);
    }
  }

  /** One query patch (an uploaded slice and box), prepared in-line. */
  async embedImage(image: HuImage, box: Box, spacingMm: number | null, spacingYmm: number | null = spacingMm): Promise<Float32Array> {
    const encoder = this.loaded;
    const slices = encoder.manifest.input.sliceOffsetsMm.map(() => image);
    const prepared = preparePatch(encoder.manifest, { key: 0, slices, box, spacingMm, spacingYmm });
    const [vector] = await this.running(encoder, () => this.encodePrepared(encoder, [prepared]));
    return vector;
  }

  /** One query patch prepared elsewhere (an upload's, on a decode worker). */
  async embedPrepared(prepared: PreparedPatch): Promise<Float32Array> {
    const encoder = this.loaded;
    const [vector] = await this.running(encoder, () => this.encodePrepared(encoder, [prepared]));
    return vector;
  }

  private async encodePrepared(encoder: LoadedEncoder, prepared: PreparedPatch[]): Promise<Float32Array[]> {
    const { manifest } = encoder;
    const plane = manifest.input.size * manifest.input.size;
    const patchLength = prepared[0].patch.length;
    const patches = new Float32Array(prepared.length * patchLength);
    const masks = new Float32Array(prepared.length * plane);
    prepared.forEach((p, i) => {
      patches.set(p.patch, i * patchLength);
      masks.set(p.boxMask, i * plane);
    });
    const output = await this.repository.run(encoder, prepared.length, patches, masks);
    const dim = manifest.model.dim;
    return prepared.map((p, i) => combineEmbedding(manifest, output.subarray(i * dim, (i + 1) * dim), p));
  }

  private async writeDefaultModelIfChanged(dir: string): Promise<void> {
    const { manifest, bytes } = buildDefaultEncoder();
    const current = await this.repository.readModelFiles(dir, manifest.model.file);
    if (current && Buffer.compare(Buffer.from(current.onnx), Buffer.from(bytes)) === 0 && current.manifestText === serialiseManifest(manifest)) return;
    this.logger.log(`Writing the default encoder to ${dir}`);
    await this.repository.writeModel(dir, manifest, bytes);
  }
}

/** The stored embedding: the manifest's blocks in order, each L2-normalised and weighted. */
export function combineEmbedding(manifest: EncoderManifest, modelOutput: Float32Array, prepared: PreparedPatch): Float32Array {
  const joined = combineBlocks(
    manifest.descriptor.blocks.map((block) => ({
      vector: block.kind === 'model' ? modelOutput : block.kind === 'hu-histogram' ? prepared.histogram : prepared.position,
      weight: block.weight,
      subBlocks: block.subBlocks,
    })),
  );
  const projection = manifest.descriptor.projection;
  return projection ? applyProjection(projection, joined) : joined;
}
