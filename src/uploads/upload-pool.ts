import type { Worker } from 'node:worker_threads';
import { startWorker } from '../common/start-worker';
import { UploadJob, UploadJobResult } from './upload-job';

/** The pool turned a job away: every worker busy and the queue full. */
export class UploadQueueFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('every upload decoder is busy and the upload queue is full');
  }
}

/** A job ran (or waited) past its deadline; it was dropped from the queue or its worker was stopped. */
export class UploadTimeoutError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('the upload was not decoded within the request time limit');
  }
}

/** The pool is shut down (the service is stopping). */
export class UploadPoolClosedError extends Error {
  constructor() {
    super('the upload decoder is shut down');
  }
}

export interface UploadPoolStats {
  workers: number;
  running: number;
  queued: number;
  queueLimit: number;
}

export interface UploadPoolOptions {
  /**
   * After a job that ran t ms, the worker rests t × restRatio ms before the next: on a machine of few
   * cores a lane of huge images then takes at most 1 / (1 + restRatio) of a core from everything else.
   */
  restRatio?: number;
  /**
   * The workers' nice value (0–19; Linux keeps it per thread): when the cores are busy the kernel runs the
   * event loop (health, by-id searches) before a decode, instead of sharing time evenly with it.
   */
  niceness?: number;
  /** The lane's name, for the workers' test-only stall point (see stallPoint). */
  lane?: 'small' | 'large';
}

interface Pending {
  id: number;
  job: UploadJob;
  transfer: ArrayBuffer[];
  resolve: (result: UploadJobResult) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  startedAt: number;
  detach: () => void;
}

interface Slot {
  worker: Worker;
  current: Pending | null;
  /** Resting after a job (see `restRatio`): takes no work until the timer ends. */
  resting: NodeJS.Timeout | null;
}

/**
 * A fixed number of decode workers and a bounded FIFO queue in front of them. A job over its deadline
 * is dropped if still queued, or its worker is terminated and replaced if running, so work for
 * requests that were already answered does not pile up.
 */
export class UploadPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;
  /** Moving average of a job's run time, for Retry-After. */
  private averageMs = 1000;

  private readonly restRatio: number;
  private readonly niceness: number;
  private readonly lane: 'small' | 'large';

  constructor(
    workers: number,
    private readonly queueLimit: number,
    options: UploadPoolOptions = {},
  ) {
    this.restRatio = options.restRatio ?? 0;
    this.niceness = options.niceness ?? 0;
    this.lane = options.lane ?? 'small';
    for (let i = 0; i < workers; i++) this.slots.push({ worker: this.spawn(), current: null, resting: null });
  }

  stats(): UploadPoolStats {
    return { workers: this.slots.length, running: this.slots.filter((s) => s.current).length, queued: this.queue.length, queueLimit: this.queueLimit };
  }

  /**
   * Runs a job on a worker within `timeoutMs`. The `transfer` buffers move to the worker (the caller
   * must not use them afterwards). Throws UploadQueueFullError at once when there is no room.
   */
  run(job: UploadJob, transfer: ArrayBuffer[], timeoutMs: number, signal?: AbortSignal): Promise<UploadJobResult> {
    if (this.closed) return Promise.reject(new UploadPoolClosedError());
    if (signal?.aborted) return Promise.reject(new UploadTimeoutError(1));
    const idle = this.slots.find((s) => !s.current && !s.resting);
    if (!idle && this.queue.length >= this.queueLimit) return Promise.reject(new UploadQueueFullError(this.retryAfterSeconds()));
    return new Promise<UploadJobResult>((resolve, reject) => {
      const stop = () => this.expire(pending);
      const pending: Pending = {
        id: this.nextId++,
        job,
        transfer,
        resolve,
        reject,
        startedAt: 0,
        timer: setTimeout(stop, timeoutMs),
        detach: () => signal?.removeEventListener('abort', stop),
      };
      // The request was answered (out of time) or its client left: its decode stops as a timeout would.
      signal?.addEventListener('abort', stop, { once: true });
      if (idle) this.start(idle, pending);
      else this.queue.push(pending);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots) if (slot.resting) clearTimeout(slot.resting);
    for (const pending of this.queue.splice(0)) this.fail(pending, new UploadPoolClosedError());
    for (const slot of this.slots) if (slot.current) this.fail(slot.current, new UploadPoolClosedError());
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Seconds until a worker is likely free for one more job: the queue ahead of it at the average run time. */
  private retryAfterSeconds(): number {
    const ahead = this.queue.length + 1;
    return Math.min(60, Math.max(1, Math.ceil((ahead * this.averageMs) / this.slots.length / 1000)));
  }

  private spawn(): Worker {
    const worker = startWorker(__dirname, 'upload-worker', { niceness: this.niceness, lane: this.lane });
    worker.on('message', (message: { id: number; result: UploadJobResult }) => {
      const slot = this.slots.find((s) => s.worker === worker);
      const pending = slot?.current;
      if (!slot || !pending || pending.id !== message.id) return;
      const ran = performance.now() - pending.startedAt;
      this.averageMs = 0.8 * this.averageMs + 0.2 * ran;
      slot.current = null;
      clearTimeout(pending.timer);
      pending.detach();
      pending.resolve(message.result);
      if (this.restRatio > 0 && !this.closed) {
        slot.resting = setTimeout(() => {
          slot.resting = null;
          this.next(slot);
        }, ran * this.restRatio);
      } else this.next(slot);
    });
    // A worker that dies (out of memory, a crash in a decoder) fails its job and is replaced.
    const replace = (reason: string) => {
      const slot = this.slots.find((s) => s.worker === worker);
      if (!slot || this.closed) return;
      const pending = slot.current;
      slot.current = null;
      slot.worker = this.spawn();
      if (pending) this.fail(pending, new Error(`upload decode worker failed: ${reason}`));
      this.next(slot);
    };
    worker.on('error', (error) => replace(error.message));
    worker.on('exit', (code) => replace(`exited with code ${code}`));
    return worker;
  }

  private start(slot: Slot, pending: Pending): void {
    slot.current = pending;
    pending.startedAt = performance.now();
    slot.worker.postMessage({ id: pending.id, job: pending.job }, pending.transfer);
  }

  private next(slot: Slot): void {
    const pending = this.queue.shift();
    if (pending) this.start(slot, pending);
  }

  private expire(pending: Pending): void {
    clearTimeout(pending.timer);
    pending.detach();
    const queued = this.queue.indexOf(pending);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      pending.reject(new UploadTimeoutError(this.retryAfterSeconds()));
      return;
    }
    const slot = this.slots.find((s) => s.current === pending);
    if (!slot) return;
    // Stop the work itself: a decode cannot be interrupted inside the worker, so the worker goes.
    slot.current = null;
    this.replaceWorker(slot);
    pending.reject(new UploadTimeoutError(this.retryAfterSeconds()));
    this.next(slot);
  }

  /** Terminates a slot's worker (quietly: it is not a failure) and starts a fresh one in its place. */
  private replaceWorker(slot: Slot): void {
    const stopped = slot.worker;
    stopped.removeAllListeners();
    stopped.on('error', () => undefined);
    void stopped.terminate();
    slot.worker = this.spawn();
  }

  private fail(pending: Pending, error: Error): void {
    clearTimeout(pending.timer);
    pending.detach();
    pending.reject(error);
  }
}
