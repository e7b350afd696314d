// Worker thread: decodes archive slices and writes their PNGs off the event loop.
import { parentPort } from 'node:worker_threads';
import { SliceWriteJob, writeSlice } from './slice-writer';

parentPort!.on('message', (message: { id: number; jobs: SliceWriteJob[] }) => {
  parentPort!.postMessage({ id: message.id, results: message.jobs.map(writeSlice) });
});
