// Worker thread: prepares patches (file read, decode, resample, blocks) so the main thread can keep
// the model busy. Receives the manifest once, then batches of jobs; replies with transferable arrays.
import { parentPort, workerData } from 'node:worker_threads';
import { EncoderManifest } from './encoder-manifest';
import { PatchJob, PrepareResult } from './patch-job';
import { prepareFromFiles } from './prepare-from-files';

const manifest = (workerData as { manifest: EncoderManifest }).manifest;

parentPort!.on('message', (message: { id: number; jobs: PatchJob[] }) => {
  const results: PrepareResult[] = message.jobs.map((job) => prepareFromFiles(job, manifest));
  const transfer = results.flatMap((r) =>
    r.ok ? [r.prepared.patch.buffer, r.prepared.boxMask.buffer, r.prepared.histogram.buffer, r.prepared.position.buffer] : [],
  );
  parentPort!.postMessage({ id: message.id, results }, transfer as ArrayBuffer[]);
});
