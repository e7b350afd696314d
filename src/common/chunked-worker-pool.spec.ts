import * as path from 'node:path';
import { SliceWriteJob, SliceWriteResult, writeSlice } from '../archive/slice-writer';
import { ChunkedWorkerPool } from './chunked-worker-pool';

// The archive's slice writer as the worker: a missing source file fails its job with a message naming nothing
// but the job, so the answers show which job each came from.
const jobs: SliceWriteJob[] = [1, 2, 3, 4, 5].map((n) => ({
  source: `/nonexistent/chunked-pool-${n}.dcm`,
  frame: 1,
  target: `/nonexistent/out-${n}.png`,
  rows: 16,
  columns: 16,
  maxBytes: 1 << 20,
  maxPixels: 1 << 20,
}));
const pool = (size: number, runInline = jest.fn(writeSlice)) =>
  new ChunkedWorkerPool<SliceWriteJob, SliceWriteResult>({
    size,
    script: path.join(__dirname, '../archive/slice-writer.worker'),
    runInline,
    name: 'test pool',
  });

describe('ChunkedWorkerPool', () => {
  const inline = jobs.map(writeSlice);

  it('runs in-line without workers', async () => {
    expect(inline.map((r) => !r.ok && r.message)).toEqual(jobs.map((j) => expect.stringContaining(path.basename(j.source))));
    expect(await pool(0).run(jobs)).toEqual(inline);
  });

  it('splits a batch over its workers and answers in job order; after close, in-line', async () => {
    const runInline = jest.fn(writeSlice);
    const workers = pool(2, runInline);
    try {
      expect(await workers.run(jobs)).toEqual(inline);
      expect(await workers.run(jobs.slice(0, 1))).toEqual(inline.slice(0, 1));
      expect(await workers.run([])).toEqual([]);
      expect(runInline).not.toHaveBeenCalled();
    } finally {
      await workers.close();
    }
    expect(await workers.run(jobs.slice(2))).toEqual(inline.slice(2));
    expect(runInline).toHaveBeenCalledTimes(3);
  }, 60_000);
});
