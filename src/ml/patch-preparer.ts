import * as path from 'node:path';
import { ChunkedWorkerPool } from '../common/chunked-worker-pool';
import { EncoderManifest } from './encoder-manifest';
import { PatchJob, PrepareResult } from './patch-job';
import { prepareFromFiles } from './prepare-from-files';

/**
 * Prepares patches on worker threads (or in-line with 0 workers). Jobs are split into one chunk per
 * worker, so a batch's preparation runs in parallel and overlaps the model run of the previous batch.
 * The workers start at once, while the model loads.
 */
export class PatchPreparer {
  private readonly pool: ChunkedWorkerPool<PatchJob, PrepareResult>;

  constructor(manifest: EncoderManifest, workers: number) {
    this.pool = new ChunkedWorkerPool({
      size: workers,
      script: path.join(__dirname, 'patch-worker'),
      workerData: { manifest },
      runInline: (job) => prepareFromFiles(job, manifest),
      name: 'patch worker',
    });
    this.pool.start();
  }

  prepare(jobs: PatchJob[]): Promise<PrepareResult[]> {
    return this.pool.run(jobs);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
