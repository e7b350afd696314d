import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Injectable } from '@nestjs/common';
import * as ort from 'onnxruntime-node';
import { ExecutionProvider } from '../config/app-config';
import { EncoderManifest, inputChannels, ManifestError, validateManifest } from './encoder-manifest';

export const MANIFEST_FILE = 'manifest.json';

export interface LoadedEncoder {
  manifest: EncoderManifest;
  /**
   * The model's identity, stored with every embedding: sha256 of the ONNX file and of the manifest
   * sections that change the vectors (input preparation, descriptor blocks and weights).
   */
  modelId: string;
  session: ort.InferenceSession;
  providers: ExecutionProvider[];
}

/** Model files and the onnxruntime session: everything with side effects on the ML path. */
@Injectable()
export class EncoderRepository {
  /** The model's ONNX bytes and manifest text, or null when either is missing. */
  async readModelFiles(modelDir: string, file: string): Promise<{ onnx: Uint8Array; manifestText: string } | null> {
    try {
      return { onnx: await fs.readFile(path.join(modelDir, file)), manifestText: await fs.readFile(path.join(modelDir, MANIFEST_FILE), 'utf8') };
    } catch {
      return null;
    }
  }

  /** Writes a model folder atomically (temporary folder, then rename), so a crash leaves no half model. */
  async writeModel(modelDir: string, manifest: EncoderManifest, onnx: Uint8Array): Promise<void> {
    const temporary = `${modelDir}.tmp-${process.pid}`;
    await fs.rm(temporary, { recursive: true, force: true });
    await fs.mkdir(temporary, { recursive: true });
    await fs.writeFile(path.join(temporary, manifest.model.file), onnx);
    await fs.writeFile(path.join(temporary, MANIFEST_FILE), serialiseManifest(manifest));
    await fs.rm(modelDir, { recursive: true, force: true });
    await fs.rename(temporary, modelDir);
  }

  /**
   * Loads manifest and model, checks the model's declared inputs and output against the manifest,
   * and opens a session on the first execution providers that work (e.g. cuda, then cpu).
   */
  async load(modelDir: string, providers: ExecutionProvider[], intraOpThreads: number): Promise<LoadedEncoder> {
    let manifest: EncoderManifest;
    try {
      manifest = validateManifest(JSON.parse(await fs.readFile(path.join(modelDir, MANIFEST_FILE), 'utf8')));
    } catch (error) {
      if (error instanceof ManifestError) throw error;
      throw new ManifestError(`cannot read ${MANIFEST_FILE} in ${modelDir}: ${(error as Error).message}`);
    }
    const bytes = await fs.readFile(path.join(modelDir, manifest.model.file));
    const modelId = modelIdentity(bytes, manifest);
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: providers,
      graphOptimizationLevel: 'all',
      // onnxruntime refuses an undefined thread count: leave the key out to let it choose.
      ...(intraOpThreads ? { intraOpNumThreads: intraOpThreads } : {}),
    });
    const expectedInputs = [manifest.model.inputs.patch, ...(manifest.model.inputs.boxMask ? [manifest.model.inputs.boxMask] : [])];
    const missing = expectedInputs.filter((name) => !session.inputNames.includes(name));
    if (missing.length || !session.outputNames.includes(manifest.model.output)) {
      await session.release();
      throw new ManifestError(
        `model ${manifest.model.file} does not match its manifest: inputs ${session.inputNames.join(', ')} (manifest wants ${expectedInputs.join(', ')}), outputs ${session.outputNames.join(', ')} (manifest wants ${manifest.model.output})`,
      );
    }
    return { manifest, modelId, session, providers };
  }

  /** Runs one batch; returns the output rows, checking the output size against the manifest. */
  async run(encoder: LoadedEncoder, batch: number, patch: Float32Array, boxMask: Float32Array | null): Promise<Float32Array> {
    const { manifest, session } = encoder;
    const size = manifest.input.size;
    const feeds: Record<string, ort.Tensor> = {
      [manifest.model.inputs.patch]: new ort.Tensor('float32', patch, [batch, inputChannels(manifest), size, size]),
    };
    if (manifest.model.inputs.boxMask) {
      feeds[manifest.model.inputs.boxMask] = new ort.Tensor('float32', boxMask ?? new Float32Array(batch * size * size).fill(1), [batch, 1, size, size]);
    }
    const result = await session.run(feeds, [manifest.model.output]);
    const output = result[manifest.model.output];
    const data = output.data as Float32Array;
    if (data.length !== batch * manifest.model.dim) {
      throw new ManifestError(`model output has ${data.length / batch} values per patch, the manifest says ${manifest.model.dim}`);
    }
    return data;
  }

  async release(encoder: LoadedEncoder): Promise<void> {
    await encoder.session.release();
  }
}

export function modelIdentity(onnx: Uint8Array, manifest: EncoderManifest): string {
  return createHash('sha256')
    .update(onnx)
    .update(JSON.stringify({ model: manifest.model, input: manifest.input, descriptor: manifest.descriptor }))
    .digest('hex');
}

export function serialiseManifest(manifest: EncoderManifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}
