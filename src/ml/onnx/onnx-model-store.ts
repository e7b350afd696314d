import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ExecutionProvider } from '../../config/app-config';
import { OnnxThreadSession } from './onnx-thread-session';

export const MANIFEST_FILE = 'manifest.json';

/** What differs between models (encoder, detector): how their manifest is read and what it promises of the ONNX graph. */
export interface ManifestContract<M extends { model: { file: string } }> {
  validate(raw: unknown): M;
  /** The manifest's own error type: unreadable manifests and graph mismatches are reported with it. */
  error: new (message: string) => Error;
  /** The manifest sections that change the model's output; hashed with the ONNX bytes into the model id. */
  identitySections(manifest: M): unknown;
  inputNames(manifest: M): string[];
  outputNames(manifest: M): string[];
}

export interface LoadedModel<M> {
  manifest: M;
  /** sha256 of the ONNX file and of the manifest sections that change the output. */
  modelId: string;
  /** On a thread of its own: a run never holds up the event loop. */
  session: OnnxThreadSession;
  providers: ExecutionProvider[];
}

/** A model folder (ONNX file and manifest.json) and its onnxruntime session: the side effects of loading any model. */
export class OnnxModelStore<M extends { model: { file: string } }> {
  constructor(private readonly contract: ManifestContract<M>) {}

  /** The model's ONNX bytes and manifest text, or null when either is missing. */
  async readModelFiles(modelDir: string, file: string): Promise<{ onnx: Uint8Array; manifestText: string } | null> {
    try {
      return { onnx: await fs.readFile(path.join(modelDir, file)), manifestText: await fs.readFile(path.join(modelDir, MANIFEST_FILE), 'utf8') };
    } catch {
      return null;
    }
  }

  /** Writes a model folder atomically (temporary folder, then rename), so a crash leaves no half model. */
  async writeModel(modelDir: string, manifest: M, onnx: Uint8Array): Promise<void> {
    const temporary = `${modelDir}.tmp-${process.pid}`;
    await fs.rm(temporary, { recursive: true, force: true });
    await fs.mkdir(temporary, { recursive: true });
    await fs.writeFile(path.join(temporary, manifest.model.file), onnx);
    await fs.writeFile(path.join(temporary, MANIFEST_FILE), serialiseManifest(manifest));
    await fs.rm(modelDir, { recursive: true, force: true });
    await fs.rename(temporary, modelDir);
  }

  /**
   * Loads manifest and model, checks the model's declared inputs and outputs against the manifest,
   * and opens a session on the first execution providers that work (e.g. cuda, then cpu).
   */
  async load(modelDir: string, providers: ExecutionProvider[], intraOpThreads: number): Promise<LoadedModel<M>> {
    const { contract } = this;
    let manifest: M;
    try {
      manifest = contract.validate(JSON.parse(await fs.readFile(path.join(modelDir, MANIFEST_FILE), 'utf8')));
    } catch (error) {
      if (error instanceof contract.error) throw error;
      throw new contract.error(`cannot read ${MANIFEST_FILE} in ${modelDir}: ${(error as Error).message}`);
    }
    const bytes = await fs.readFile(path.join(modelDir, manifest.model.file));
    const session = await OnnxThreadSession.open(bytes, { executionProviders: providers, intraOpThreads });
    const inputs = contract.inputNames(manifest);
    const outputs = contract.outputNames(manifest);
    if (inputs.some((name) => !session.inputNames.includes(name)) || outputs.some((name) => !session.outputNames.includes(name))) {
      await session.release();
      throw new contract.error(
        `model ${manifest.model.file} does not match its manifest: inputs ${session.inputNames.join(', ')} (manifest wants ${inputs.join(', ')}), ` +
          `outputs ${session.outputNames.join(', ')} (manifest wants ${outputs.join(', ')})`,
      );
    }
    return { manifest, modelId: modelIdentity(bytes, contract.identitySections(manifest)), session, providers };
  }

  async release(model: LoadedModel<M>): Promise<void> {
    await model.session.release();
  }
}

export function modelIdentity(onnx: Uint8Array, identitySections: unknown): string {
  return createHash('sha256').update(onnx).update(JSON.stringify(identitySections)).digest('hex');
}

export function serialiseManifest(manifest: unknown): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}
