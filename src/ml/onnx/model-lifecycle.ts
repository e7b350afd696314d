import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import { ExecutionProvider } from '../../config/app-config';
import { LoadedModel, OnnxModelStore, serialiseManifest } from './onnx-model-store';

export type ModelState = 'loading' | 'ready' | 'failed';

export interface ModelOpening<M> {
  modelsDir: string;
  /** The configured model's folder name. */
  name: string;
  providers: ExecutionProvider[];
  intraOpThreads: number;
  /** The built-in model, written to its folder first when the configured name is its name. */
  builtIn: { name: string; build(): { manifest: M; bytes: Uint8Array } };
  /** One run before the first request pays for allocation and graph optimisation. */
  warmUp(model: LoadedModel<M>): Promise<void>;
  /** The ready line's detail, e.g. "384 dims, cpu". */
  describe(model: LoadedModel<M>): string;
}

/**
 * One model's life in a service: loading → ready or failed (with why), the loaded model or an error
 * saying why there is none, and release. A failed load leaves the service up, reporting the failure.
 */
export class ModelLifecycle<M extends { name: string; model: { file: string } }> {
  private model: LoadedModel<M> | null = null;
  private currentState: ModelState = 'loading';
  private failure: string | null = null;

  constructor(
    private readonly store: OnnxModelStore<M>,
    /** "encoder" or "detector": how logs and errors name the model. */
    private readonly label: string,
    private readonly logger: Logger,
  ) {}

  async open(opening: ModelOpening<M>): Promise<void> {
    const dir = path.join(opening.modelsDir, opening.name);
    try {
      if (opening.name === opening.builtIn.name) await this.writeBuiltInIfChanged(dir, opening.builtIn.build());
      this.model = await this.store.load(dir, opening.providers, opening.intraOpThreads);
      await opening.warmUp(this.model);
      this.currentState = 'ready';
      this.logger.log(
        `${capitalise(this.label)} ${this.model.manifest.name} ready (model ${this.model.modelId.slice(0, 12)}, ${opening.describe(this.model)})`,
      );
    } catch (error) {
      this.currentState = 'failed';
      this.failure = (error as Error).message;
      this.logger.error(`${capitalise(this.label)} ${opening.name} failed to load: ${this.failure}`);
    }
  }

  async close(): Promise<void> {
    if (this.model) await this.store.release(this.model);
    this.model = null;
  }

  get state(): ModelState {
    return this.currentState;
  }

  get message(): string | null {
    return this.failure;
  }

  /** The model when one is loaded (status reports use it), else null. */
  get current(): LoadedModel<M> | null {
    return this.model;
  }

  /** The loaded model, or an error saying why there is none. */
  get loaded(): LoadedModel<M> {
    if (!this.model) throw new Error(this.failure ? `the ${this.label} failed to load: ${this.failure}` : `the ${this.label} is still loading`);
    return this.model;
  }

  private async writeBuiltInIfChanged(dir: string, { manifest, bytes }: { manifest: M; bytes: Uint8Array }): Promise<void> {
    const current = await this.store.readModelFiles(dir, manifest.model.file);
    if (current && Buffer.compare(Buffer.from(current.onnx), Buffer.from(bytes)) === 0 && current.manifestText === serialiseManifest(manifest)) return;
    this.logger.log(`Writing the default ${this.label} to ${dir}`);
    await this.store.writeModel(dir, manifest, bytes);
  }
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
