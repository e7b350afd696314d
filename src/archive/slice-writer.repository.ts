import * as path from 'node:path';
import { ChunkedWorkerPool } from '../common/chunked-worker-pool';
import { SliceWriteJob, SliceWriteResult, writeSlice } from './slice-writer';

/**
 * Worker threads that decode archive slices and write them as PNGs (ARCHIVE_DECODE_WORKERS; 0 writes
 * in-line). A pool of its own rather than the upload pool: imports must not take the slots, queue
 * limit and 503s that bound interactive uploads. Started on first use, closed with the module.
 */
export class SliceWriterPool {
  private readonly pool: ChunkedWorkerPool<SliceWriteJob, SliceWriteResult>;

  constructor(size: number) {
    this.pool = new ChunkedWorkerPool({ size, script: path.join(__dirname, 'slice-writer.worker'), runInline: writeSlice, name: 'slice writer' });
  }

  write(jobs: SliceWriteJob[]): Promise<SliceWriteResult[]> {
    return this.pool.run(jobs);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
