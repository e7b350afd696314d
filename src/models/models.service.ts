import * as path from 'node:path';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { ChangeFeedService } from '../change-log/change-feed.service';
import { ALL_DATASETS, DatasetScope } from '../common/dataset-scope';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EmbeddingsRepository } from '../ingest-jobs/embeddings.repository';
import { EmbeddingService, toPatchJob } from '../ingest-jobs/embedding.service';
import { JOB_QUEUE, JobQueue } from '../jobs/job-queue.port';
import { embeddingDim, manifestModalities } from '../ml/encoder-manifest';
import { EncoderService, OpenModel } from '../ml/encoder.service';
import { VectorIndexService } from '../vector-index/vector-index.service';
import { isPlainFolderName } from './model-folder';
import { ModelRegistryRepository, ModelStatus, RegisteredModel } from './model-registry.repository';

// Lesions read per database round trip; the encoder batches within a page.
const PAGE = 1024;
// Passes looking for lesions imported while the model embedded, before it is declared ready anyway.
const MAX_PASSES = 5;
// A parked model in another state (retired, or its row gone) can no longer be switched back to.
const SWITCHABLE: ReadonlySet<ModelStatus> = new Set<ModelStatus>(['embedding', 'ready', 'active']);

/**
 * The encoder model registry: the configured model is the active one until another is registered;
 * registering a model folder embeds the whole archive with it in a background job (resumable: the
 * work is "lesions without an embedding for this model"), and marks it ready when none is left.
 * Search keeps using the active model throughout: the new model's embeddings are stored under its
 * own id, which the live index ignores. Activation is one row update whose change-log entry makes
 * every process build the model's index beside the live one and then switch encoder and index at once.
 */
@Injectable()
export class ModelsService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Models');
  /** Serialises this process's switches. */
  private switchChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: ModelRegistryRepository,
    private readonly embeddings: EmbeddingsRepository,
    private readonly encoder: EncoderService,
    private readonly vectorIndex: VectorIndexService,
    private readonly embedding: EmbeddingService,
    private readonly changes: ChangeFeedService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // Whether to activate is read from the model's row when it is ready (the latest registration's intent), not the payload.
    this.queue.handle('model-embedding', (payload) => this.embedArchive(payload.modelId));
    // Not awaited: building an index must not hold up the change feed (the old model answers meanwhile).
    this.changes.subscribe((entries) => {
      if (entries.some((e) => e.kind === 'model')) void this.followActive();
    });
  }

  /** Records the configured encoder (active when none is), and resumes embeddings a stopped process left. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.encoder.status().state !== 'ready') return;
    const { modelId, manifest } = this.encoder.loaded;
    await this.embeddings.upsertModel(modelId, manifest, this.encoder.dim);
    const configured = await this.registry.get(modelId);
    await this.registry.activateIfNoneActive(modelId, this.config.encoder.model);
    const active = await this.registry.active();
    if (active && active.id !== modelId) {
      // A run-time switch away from the configured model survives restarts; a newly configured ENCODER_MODEL
      // (never active) is used as configured, as before the registry (e.g. `npm run embed` for a new model).
      if (configured?.activatedAt) await this.followActive();
      else this.logger.warn(`ENCODER_MODEL ${this.config.encoder.model} is not the registry's active model ${active.name}: this process uses ENCODER_MODEL`);
    }
    // Under BullMQ the queue keeps the jobs; in-process they died with the process that ran them.
    if (this.queue.distributed || this.config.role !== 'all') return;
    for (const model of await this.registry.unfinishedEmbeddings()) {
      await this.queue.enqueue('model-embedding', { modelId: model.id, activate: model.activateWhenReady });
    }
  }

  list(): Promise<RegisteredModel[]> {
    return this.registry.list();
  }

  async get(id: string): Promise<RegisteredModel> {
    const model = await this.registry.get(id);
    if (!model) throw new NotFoundException(`No encoder model ${id}`);
    return model;
  }

  /**
   * Registers the encoder in a folder under MODELS_DIR and starts embedding the archive with it. 400 for a
   * name that is not a plain folder name or a folder that is not a usable encoder, 404 for a missing folder.
   * Registering a model again resumes its embedding (and embeds lesions imported since it was ready).
   */
  async register(folder: string, activate = true, scope: DatasetScope = ALL_DATASETS): Promise<RegisteredModel> {
    assertUnscoped(scope);
    if (!isPlainFolderName(folder)) throw new BadRequestException('name must be a plain folder name under MODELS_DIR (letters, digits, . _ -; no path)');
    const dir = path.join(this.config.encoder.modelsDir, folder);
    if (!(await this.registry.isDirectory(dir))) throw new NotFoundException(`No model folder "${folder}" under MODELS_DIR`);
    let model: OpenModel;
    try {
      model = await this.encoder.openModel(folder);
    } catch (error) {
      throw new BadRequestException(`Model folder "${folder}" is not a usable encoder: ${(error as Error).message}`);
    }
    const { modelId, manifest } = model.encoder;
    await this.encoder.closeModel(model);
    await this.queue.assertRoom('model-embedding');
    const registered = await this.registry.register({ id: modelId, folder, dim: embeddingDim(manifest), manifest, activate });
    if (registered.status === 'embedding') await this.queue.enqueue('model-embedding', { modelId, activate });
    this.logger.log(`Model ${manifest.name} (${modelId.slice(0, 12)}) from ${folder}: ${registered.status}`);
    return registered;
  }

  /**
   * Makes a ready model the active one: 404 for an unknown id, 409 unless it is ready and holds every lesion
   * the active model holds. Resolves once this process searches with it; others follow the change log.
   */
  async activate(id: string, scope: DatasetScope = ALL_DATASETS): Promise<RegisteredModel> {
    assertUnscoped(scope);
    const model = await this.get(id);
    if (model.status === 'active') return model;
    if (model.status !== 'ready') {
      throw new ConflictException(`Model ${id.slice(0, 12)} is ${model.status}: only a ready model (every lesion embedded) can be activated`);
    }
    const active = await this.registry.active();
    const missing = active ? await this.registry.countUnembeddedFor(id, active.id) : 0;
    if (missing > 0) {
      const model12 = id.slice(0, 12);
      throw new ConflictException(`${missing} lesion(s) are not embedded with model ${model12} yet (imported since it was ready): register it again first`);
    }
    if (!(await this.registry.activate(id))) throw new ConflictException(`Model ${id.slice(0, 12)} is no longer ready`);
    await this.changes.syncNow();
    await this.followActive();
    return this.get(id);
  }

  /**
   * Switches this process to the registry's active model (if it is not already), one switch at a time; then
   * releases parked models that can no longer be switched back to.
   */
  followActive(): Promise<void> {
    const run = this.switchChain.then(() => this.switchToActive().finally(() => this.releaseUnswitchable()));
    this.switchChain = run.catch((error: Error) => this.logger.error(`Switching to the active model failed: ${error.message}`));
    return this.switchChain;
  }

  private async switchToActive(): Promise<void> {
    if (this.encoder.status().state !== 'ready') return;
    const active = await this.registry.active();
    if (!active || !active.folder || active.id === this.encoder.loaded.modelId) return;
    const model = await this.encoder.prepareSwitch(active.id, active.folder);
    try {
      if (model.encoder.modelId !== active.id) throw new Error(`model folder ${active.folder} no longer holds model ${active.id.slice(0, 12)}`);
      await this.vectorIndex.switchModel(active.id, embeddingDim(model.encoder.manifest), () => this.encoder.use(model));
    } catch (error) {
      // A failed switch keeps nothing of the model loaded (the index drops its graph itself).
      await this.encoder.discard(model);
      throw error;
    }
    this.logger.log(`Now searching with model ${model.encoder.manifest.name} (${active.id.slice(0, 12)})`);
    // Lesions this process imported between the switch in the database and its own switch were embedded with the old model.
    const caughtUp = await this.embedding.embedMissing();
    if (caughtUp.embedded) this.logger.log(`Embedded ${caughtUp.embedded} lesion(s) imported during the switch`);
  }

  /** Parked encoders and graphs of models no longer registered, or in no state to be switched back to, are released at once. */
  private async releaseUnswitchable(): Promise<void> {
    const parked = new Set([...this.encoder.parkedModelIds(), ...this.vectorIndex.parkedModelIds()]);
    if (!parked.size) return;
    const switchable = new Set((await this.registry.list()).filter((m) => SWITCHABLE.has(m.status)).map((m) => m.id));
    for (const id of parked) {
      if (switchable.has(id)) continue;
      await this.encoder.releaseParked(id);
      await this.vectorIndex.releaseParked(id);
      this.logger.log(`Released parked model ${id.slice(0, 12)}: it is no longer registered or ready`);
    }
  }

  /**
   * The job: embeds every lesion the model lacks, page by page (each page stored in one statement, so a
   * stopped job resumes after the last stored page), then again for lesions imported meanwhile, until a
   * pass finds none; marks the model ready, and activates it when its row says so (the latest registration's intent).
   */
  async embedArchive(modelId: string): Promise<void> {
    const row = await this.registry.get(modelId);
    if (!row || row.status !== 'embedding' || !row.folder) return;
    const model = await this.encoder.openModel(row.folder);
    let failed = 0;
    try {
      if (model.encoder.modelId !== modelId) throw new Error(`model folder ${row.folder} no longer holds model ${modelId.slice(0, 12)}: register it again`);
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        const result = await this.embedPass(model, manifestModalities(model.encoder.manifest));
        failed = result.failed;
        if (result.embedded === 0) break;
      }
    } finally {
      await this.encoder.closeModel(model);
    }
    if (failed) this.logger.warn(`Model ${row.name}: ${failed} lesion(s) could not be embedded`);
    const ready = await this.registry.markReady(modelId);
    if (!ready) return;
    this.logger.log(`Model ${row.name} (${modelId.slice(0, 12)}) is ready`);
    if (ready.activateWhenReady)
      await this.activate(modelId).catch((error: Error) => this.logger.warn(`Model ${row.name} stays ready, not active: ${error.message}`));
  }

  /** One pass over the lesions still missing an embedding for the model; progress is stored per page. */
  private async embedPass(model: OpenModel, modalities: string[]): Promise<{ embedded: number; failed: number }> {
    const { modelId, manifest } = model.encoder;
    const done = await this.embeddings.countForModel(modelId);
    const total = done + (await this.embeddings.countMissing(modelId, modalities));
    await this.registry.setProgress(modelId, done, total);
    let embedded = 0;
    let failed = 0;
    let afterId = 0;
    for (;;) {
      const page = await this.embeddings.lesionsToEmbed(modelId, afterId, PAGE, { modalities });
      if (!page.length) break;
      afterId = page[page.length - 1].id;
      await this.encoder.embedJobsWith(
        model,
        page.map((lesion) => toPatchJob(lesion, manifest.input.sliceOffsetsMm)),
        async (results) => {
          const stored = results.flatMap((r) => (r.ok ? [{ lesionId: r.key, vector: r.vector }] : []));
          await this.embeddings.saveEmbeddings(modelId, stored);
          embedded += stored.length;
          failed += results.length - stored.length;
          await this.registry.setProgress(modelId, done + embedded, total);
        },
      );
    }
    return { embedded, failed };
  }
}

/** The encoder serves every dataset: a key limited to some of them may not change it. */
function assertUnscoped(scope: DatasetScope): void {
  if (scope.datasets !== null) throw new ForbiddenException('The encoder serves every dataset: only an admin key without dataset limits changes it');
}
