import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { SliceWriteJob, SliceWriteResult, writeSlice } from './slice-writer';

/**
 * Worker threads that decode archive slices and write them as PNGs (ARCHIVE_DECODE_WORKERS; 0 writes
 * in-line). A pool of its own rather than the upload pool: imports must not take the slots, queue
 * limit and 503s that bound interactive uploads. Started on first use, closed with the module.
 */
export class SliceWriterPool {
  private workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (r: SliceWriteResult[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(private readonly size: number) {}

  async write(jobs: SliceWriteJob[]): Promise<SliceWriteResult[]> {
    if (this.size === 0 || jobs.length === 0) return jobs.map(writeSlice);
    if (!this.workers.length) this.start();
    const chunk = Math.ceil(jobs.length / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((worker, i) => {
        const part = jobs.slice(i * chunk, (i + 1) * chunk);
        if (!part.length) return Promise.resolve([] as SliceWriteResult[]);
        const id = this.nextId++;
        return new Promise<SliceWriteResult[]>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          worker.postMessage({ id, jobs: part });
        });
      }),
    );
    return parts.flat();
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private start(): void {
    const compiled = __filename.endsWith('.js');
    const script = path.join(__dirname, compiled ? 'slice-writer.worker.js' : 'slice-writer.worker.ts');
    for (let i = 0; i < this.size; i++) {
      // From TypeScript sources (tests, ts-node) the worker needs ts-node to load.
      const worker = new Worker(script, { execArgv: compiled ? [] : ['-r', 'ts-node/register/transpile-only'] });
      worker.on('message', (message: { id: number; results: SliceWriteResult[] }) => {
        this.pending.get(message.id)?.resolve(message.results);
        this.pending.delete(message.id);
      });
      worker.on('error', (error) => {
        for (const { reject } of this.pending.values()) reject(new Error(`slice writer failed: ${error.message}`));
        this.pending.clear();
      });
      this.workers.push(worker);
    }
  }
}
