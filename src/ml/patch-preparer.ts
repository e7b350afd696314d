import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EncoderManifest } from './encoder-manifest';
import { PatchJob, PrepareResult } from './patch-job';
import { prepareFromFiles } from './prepare-from-files';

/**
 * Prepares patches on worker threads (or in-line with 0 workers). Jobs are split into one chunk per
 * worker, so a batch's preparation runs in parallel and overlaps the model run of the previous batch.
 */
export class PatchPreparer {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (results: PrepareResult[]) => void; reject: (error: Error) => void }>();
  private nextId = 0;

  constructor(
    private readonly manifest: EncoderManifest,
    workers: number,
  ) {
    const compiled = __filename.endsWith('.js');
    const script = path.join(__dirname, compiled ? 'patch-worker.js' : 'patch-worker.ts');
    for (let i = 0; i < workers; i++) {
      // From TypeScript sources (tests, ts-node) the worker needs ts-node to load.
      const worker = new Worker(script, { workerData: { manifest }, execArgv: compiled ? [] : ['-r', 'ts-node/register/transpile-only'] });
      worker.on('message', (message: { id: number; results: PrepareResult[] }) => {
        this.pending.get(message.id)?.resolve(message.results);
        this.pending.delete(message.id);
      });
      // A dead worker must not leave callers waiting forever.
      worker.on('error', (error) => {
        for (const { reject } of this.pending.values()) reject(new Error(`patch worker failed: ${error.message}`));
        this.pending.clear();
      });
      this.workers.push(worker);
    }
  }

  async prepare(jobs: PatchJob[]): Promise<PrepareResult[]> {
    if (this.workers.length === 0 || jobs.length === 0) return jobs.map((job) => prepareFromFiles(job, this.manifest));
    const chunk = Math.ceil(jobs.length / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((worker, i) => {
        const slice = jobs.slice(i * chunk, (i + 1) * chunk);
        if (!slice.length) return Promise.resolve([] as PrepareResult[]);
        const id = this.nextId++;
        return new Promise<PrepareResult[]>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          worker.postMessage({ id, jobs: slice });
        });
      }),
    );
    return parts.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
