// Inference thread: one onnxruntime session, created from the model's bytes and run here, so that a
// model run never holds up the event loop. See session-protocol.ts for the messages.
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { FromSessionThread, OnnxTensor, ToSessionThread } from './session-protocol';

let session: ort.InferenceSession | null = null;
const reply = (message: FromSessionThread, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);

// One message at a time, in order: a release waits for the runs sent before it.
let queue = Promise.resolve();
parentPort!.on('message', (message: ToSessionThread) => {
  queue = queue.then(() => handle(message));
});

async function handle(message: ToSessionThread): Promise<void> {
  switch (message.kind) {
    case 'open':
      try {
        session = await ort.InferenceSession.create(message.onnx, {
          executionProviders: message.options.executionProviders,
          graphOptimizationLevel: 'all',
          // onnxruntime refuses an undefined thread count: leave the key out to let it choose.
          ...(message.options.intraOpThreads ? { intraOpNumThreads: message.options.intraOpThreads } : {}),
        });
        reply({ kind: 'opened', inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
      } catch (error) {
        reply({ kind: 'open-failed', message: (error as Error).message });
      }
      return;
    case 'run':
      try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const [name, tensor] of Object.entries(message.feeds)) feeds[name] = new ort.Tensor('float32', tensor.data, tensor.dims);
        const result = await session!.run(feeds, message.fetches);
        const outputs: Record<string, OnnxTensor> = {};
        for (const name of message.fetches) outputs[name] = { data: result[name].data as Float32Array, dims: [...result[name].dims] };
        reply({ kind: 'ran', id: message.id, outputs }, uniqueBuffers(Object.values(outputs)));
      } catch (error) {
        reply({ kind: 'run-failed', id: message.id, message: (error as Error).message });
      }
      return;
    case 'release':
      // Released or not, the thread is stopped next; a failure here changes nothing.
      await session?.release().catch(() => undefined);
      session = null;
      reply({ kind: 'released' });
  }
}

function uniqueBuffers(tensors: OnnxTensor[]): ArrayBuffer[] {
  return [...new Set(tensors.map((t) => t.data.buffer as ArrayBuffer))];
}
