// Worker thread: decodes uploaded slices (and prepares the encoder's input) off the event loop, so a
// large upload never holds up other requests. Replies with transferable arrays.
import * as os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { stallPoint } from '../common/crash-point';
import { runUploadJob } from './run-upload-job';
import { transferablesOf, UploadJob } from './upload-job';

// Lower this thread's priority only (the event loop keeps its own): see UploadPoolOptions.niceness.
const { niceness, lane } = (workerData ?? {}) as { niceness?: number; lane?: 'small' | 'large' };
if (niceness) {
  try {
    os.setPriority(niceness);
  } catch {
    // A platform without per-thread priorities: the decode still runs, at the loop's priority.
  }
}

parentPort!.on('message', (message: { id: number; job: UploadJob }) => {
  if (lane === 'large') stallPoint('large-upload-decode');
  const result = runUploadJob(message.job);
  parentPort!.postMessage({ id: message.id, result }, transferablesOf(result));
});
