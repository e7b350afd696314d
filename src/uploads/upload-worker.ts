// Worker thread: decodes uploaded slices (and prepares the encoder's input) off the event loop, so a
// large upload never holds up other requests. Replies with transferable arrays.
import { parentPort } from 'node:worker_threads';
import { runUploadJob } from './run-upload-job';
import { transferablesOf, UploadJob } from './upload-job';

parentPort!.on('message', (message: { id: number; job: UploadJob }) => {
  const result = runUploadJob(message.job);
  parentPort!.postMessage({ id: message.id, result }, transferablesOf(result));
});
