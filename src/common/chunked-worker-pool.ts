import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorker } from './start-worker';

export interface ChunkedWorkerPoolOptions<J, R> {
  /** Worker threads (0: every job runs in-line on the caller's thread). */
  size: number;
  /** The worker's file without its extension (.js compiled, .ts from sources); it answers { id, jobs } with { id, results }. */
  script: string;
  workerData?: unknown;
  /** The same work in-line, for a pool of 0 workers. */
  runInline: (job: J) => R;
  /** Names the pool in the error that a dead worker's callers get. */
  name: string;
}

/**
 * Worker threads that each take an equal share of a batch of jobs, so a batch runs in parallel; results come
 * back in job order. Workers start on first use (or `start()`); after `close()` jobs run in-line, so a
 * batch still in flight at shutdown finishes without starting new workers.
 */
export class ChunkedWorkerPool<J, R> {
  private workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (results: R[]) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: ChunkedWorkerPoolOptions<J, R>) {}

  async run(jobs: J[]): Promise<R[]> {
    if (this.options.size === 0 || this.closed || jobs.length === 0) return jobs.map((job) => this.options.runInline(job));
    this.start();
    const chunk = Math.ceil(jobs.length / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((worker, i) => {
        const part = jobs.slice(i * chunk, (i + 1) * chunk);
        if (!part.length) return Promise.resolve([] as R[]);
        const id = this.nextId++;
        return new Promise<R[]>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          worker.postMessage({ id, jobs: part });
        });
      }),
    );
    return parts.flat();
  }

  /** Starts the workers now (a no-op once started), e.g. while a model loads. */
  start(): void {
    if (this.workers.length || this.options.size === 0 || this.closed) return;
    for (let i = 0; i < this.options.size; i++) {
      const worker = startWorker(path.dirname(this.options.script), path.basename(this.options.script), this.options.workerData);
      worker.on('message', (message: { id: number; results: R[] }) => {
        this.pending.get(message.id)?.resolve(message.results);
        this.pending.delete(message.id);
      });
      // A dead worker must not leave callers waiting forever.
      worker.on('error', (error) => {
        for (const { reject } of this.pending.values()) reject(new Error(`${this.options.name} failed: ${error.message}`));
        this.pending.clear();
      });
      this.workers.push(worker);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
