import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Box, HuImage } from '../imaging/hu-image';
import { DEFAULT_ENCODER_NAME, buildDefaultEncoder } from './default-encoder/default-model';
import { combineBlocks } from './descriptor/combine';
import { embeddingDim, EncoderManifest } from './encoder-manifest';
import { applyProjection } from './projection/apply-projection';
import { EncoderRepository, LoadedEncoder } from './encoder.repository';
import { ModelLifecycle, ModelState } from './onnx/model-lifecycle';
import { PatchJob, PreparedPatch, PrepareResult } from './patch-job';
import { PatchPreparer } from './patch-preparer';
import { preparePatch } from './prepare-patch';

export interface EncoderStatus {
  state: ModelState;
  message: string | null;
  name: string;
  modelId: string | null;
  dim: number | null;
  providers: string[];
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
  private readonly model: ModelLifecycle<EncoderManifest>;
  private preparer: PatchPreparer | null = null;

  constructor(
    private readonly repository: EncoderRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.model = new ModelLifecycle(repository, 'encoder', this.logger);
  }

  async onModuleInit(): Promise<void> {
    const { modelsDir, model, executionProviders, intraOpThreads, prepareWorkers } = this.config.encoder;
    await this.model.open({
      modelsDir,
      name: model,
      providers: executionProviders,
      intraOpThreads,
      builtIn: { name: DEFAULT_ENCODER_NAME, build: buildDefaultEncoder },
      warmUp: async (encoder) => {
        this.preparer = new PatchPreparer(encoder.manifest, prepareWorkers);
        const size = encoder.manifest.input.size;
        const channels = encoder.manifest.input.windows.length * encoder.manifest.input.sliceOffsetsMm.length;
        await this.repository.run(encoder, 1, new Float32Array(channels * size * size), new Float32Array(size * size).fill(1));
      },
      describe: (encoder) => `${embeddingDim(encoder.manifest)} dims, ${executionProviders.join('+')}`,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.preparer?.close();
    await this.model.close();
  }

  status(): EncoderStatus {
    const encoder = this.model.current;
    return {
      state: this.model.state,
      message: this.model.message,
      name: encoder?.manifest.name ?? this.config.encoder.model,
      modelId: encoder?.modelId ?? null,
      dim: encoder ? this.dim : null,
      providers: encoder?.providers ?? this.config.encoder.executionProviders,
    };
  }

  /** The loaded encoder, or an error saying why there is none. */
  get loaded(): LoadedEncoder {
    return this.model.loaded;
  }

  get dim(): number {
    return embeddingDim(this.loaded.manifest);
  }

  /**
   * Embeds lesions given as file jobs, batch by batch: while the model runs on one batch, the
   * workers prepare the next. `onBatch` receives each batch's results as soon as they exist.
   */
  async embedJobs(jobs: PatchJob[], onBatch: (results: EmbedResult[]) => Promise<void>): Promise<void> {
    const encoder = this.loaded;
    const preparer = this.preparer!;
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
    const [vector] = await this.encodePrepared(encoder, [preparePatch(encoder.manifest, { key: 0, slices, box, spacingMm, spacingYmm })]);
    return vector;
  }

  /** One query patch prepared elsewhere (an upload's, on a decode worker). */
  async embedPrepared(prepared: PreparedPatch): Promise<Float32Array> {
    const [vector] = await this.encodePrepared(this.loaded, [prepared]);
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

