import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../common/start-worker';
import { FromSessionThread, OnnxTensor, SessionOptionsMessage, ToSessionThread } from './session-protocol';

interface PendingRun {
  resolve: (outputs: Record<string, OnnxTensor>) => void;
  reject: (error: Error) => void;
}

/**
 * An onnxruntime session that lives on a thread of its own (session-thread.ts): runs queue there in
 * order, and the event loop only copies inputs in and receives outputs back (transferred, not copied).
 * Errors from onnxruntime come back as Errors with its message.
 */
export class OnnxThreadSession {
  private readonly runs = new Map<number, PendingRun>();
  private nextId = 0;
  private stopped: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {
    worker.on('message', (message: FromSessionThread) => {
      if (message.kind !== 'ran' && message.kind !== 'run-failed') return;
      const run = this.runs.get(message.id);
      this.runs.delete(message.id);
      if (message.kind === 'ran') run?.resolve(message.outputs);
      else run?.reject(new Error(message.message));
    });
    const stop = (error: Error) => {
      this.stopped ??= error;
      for (const run of this.runs.values()) run.reject(error);
      this.runs.clear();
    };
    worker.on('error', (error) => stop(new Error(`the inference thread failed: ${error.message}`)));
    worker.on('exit', (code) => stop(new Error(`the inference thread exited (code ${code})`)));
  }

  /** Starts a thread and opens the model there; rejects with onnxruntime's message when it cannot. */
  static async open(onnx: Uint8Array, options: SessionOptionsMessage): Promise<OnnxThreadSession> {
    const worker = startWorker(__dirname, 'session-thread');
    worker.postMessage({ kind: 'open', onnx, options } satisfies ToSessionThread);
    const opened = await firstMessage(worker).catch(async (error: Error) => {
      await worker.terminate();
      throw error;
    });
    if (opened.kind !== 'opened') {
      await worker.terminate();
      throw new Error(opened.kind === 'open-failed' ? opened.message : `unexpected ${opened.kind} from the inference thread`);
    }
    return new OnnxThreadSession(worker, opened.inputNames, opened.outputNames);
  }

  /** One run; the feeds are copied to the thread (the caller keeps them). */
  run(feeds: Record<string, OnnxTensor>, fetches: string[]): Promise<Record<string, OnnxTensor>> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.runs.set(id, { resolve, reject });
      this.worker.postMessage({ kind: 'run', id, feeds, fetches } satisfies ToSessionThread);
    });
  }

  /** Releases the session after the runs already sent, then stops the thread. */
  async release(): Promise<void> {
    if (!this.stopped) {
      this.stopped = new Error('the model was released');
      await new Promise<void>((resolve) => {
        const done = (message: FromSessionThread) => {
          if (message.kind !== 'released') return;
          this.worker.off('message', done);
          resolve();
        };
        this.worker.on('message', done);
        this.worker.once('exit', () => resolve());
        this.worker.postMessage({ kind: 'release' } satisfies ToSessionThread);
      });
    }
    await this.worker.terminate();
  }
}

/** The thread's first answer, or why it stopped before giving one. Takes its listeners off again (a Worker has its own). */
function firstMessage(worker: Worker): Promise<FromSessionThread> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromSessionThread) => settle(() => resolve(message));
    const onError = (error: Error) => settle(() => reject(error));
    const onExit = (code: number) => settle(() => reject(new Error(`the inference thread exited (code ${code}) before the model opened`)));
    const settle = (then: () => void) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      then();
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
