import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Injectable } from '@nestjs/common';
import * as ort from 'onnxruntime-node';
import { ExecutionProvider } from '../config/app-config';
import { DetectorManifest, DetectorManifestError, expectedOutputs, validateDetectorManifest } from '../ml/detector-manifest';
import { RawTensor } from '../detection-core/output-adapters';

export const DETECTOR_MANIFEST_FILE = 'manifest.json';

export interface LoadedDetector {
  manifest: DetectorManifest;
  /** sha256 of the ONNX file and the manifest. */
  modelId: string;
  session: ort.InferenceSession;
  providers: ExecutionProvider[];
}

/** Detector model files and the onnxruntime session. */
@Injectable()
export class DetectorRepository {
  async readModelFiles(modelDir: string, file: string): Promise<{ onnx: Uint8Array; manifestText: string } | null> {
    try {
      return { onnx: await fs.readFile(path.join(modelDir, file)), manifestText: await fs.readFile(path.join(modelDir, DETECTOR_MANIFEST_FILE), 'utf8') };
    } catch {
      return null;
    }
  }

  /** Writes a model folder atomically (temporary folder, then rename). */
  async writeModel(modelDir: string, manifest: DetectorManifest, onnx: Uint8Array): Promise<void> {
    const temporary = `${modelDir}.tmp-${process.pid}`;
    await fs.rm(temporary, { recursive: true, force: true });
    await fs.mkdir(temporary, { recursive: true });
    await fs.writeFile(path.join(temporary, manifest.model.file), onnx);
    await fs.writeFile(path.join(temporary, DETECTOR_MANIFEST_FILE), serialiseDetectorManifest(manifest));
    await fs.rm(modelDir, { recursive: true, force: true });
    await fs.rename(temporary, modelDir);
  }

  /** Loads and validates manifest and model (inputs and outputs named as the manifest says). */
  async load(modelDir: string, providers: ExecutionProvider[], intraOpThreads: number): Promise<LoadedDetector> {
    let manifest: DetectorManifest;
    try {
      manifest = validateDetectorManifest(JSON.parse(await fs.readFile(path.join(modelDir, DETECTOR_MANIFEST_FILE), 'utf8')));
    } catch (error) {
      if (error instanceof DetectorManifestError) throw error;
      throw new DetectorManifestError(`cannot read ${DETECTOR_MANIFEST_FILE} in ${modelDir}: ${(error as Error).message}`);
    }
    const bytes = await fs.readFile(path.join(modelDir, manifest.model.file));
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: providers,
      graphOptimizationLevel: 'all',
      ...(intraOpThreads ? { intraOpNumThreads: intraOpThreads } : {}),
    });
    const outputs = expectedOutputs(manifest);
    if (!session.inputNames.includes(manifest.model.input) || outputs.some((o) => !session.outputNames.includes(o))) {
      await session.release();
      throw new DetectorManifestError(
        `model ${manifest.model.file} does not match its manifest: inputs ${session.inputNames.join(', ')} (manifest wants ${manifest.model.input}), outputs ${session.outputNames.join(', ')} (manifest wants ${outputs.join(', ')})`,
      );
    }
    const modelId = createHash('sha256').update(bytes).update(JSON.stringify({ model: manifest.model, input: manifest.input, output: manifest.output })).digest('hex');
    return { manifest, modelId, session, providers };
  }

  /** One run on input [1, C, size, size]; returns the manifest's outputs. */
  async run(detector: LoadedDetector, input: Float32Array, dims: number[]): Promise<Record<string, RawTensor>> {
    const names = expectedOutputs(detector.manifest);
    const result = await detector.session.run({ [detector.manifest.model.input]: new ort.Tensor('float32', input, dims) }, names);
    const out: Record<string, RawTensor> = {};
    for (const n of names) out[n] = { data: result[n].data as Float32Array, dims: result[n].dims };
    return out;
  }

  async release(detector: LoadedDetector): Promise<void> {
    await detector.session.release();
  }
}

export function serialiseDetectorManifest(manifest: DetectorManifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}
