import { JobName, JobPayloads } from './job-payloads';

export const JOB_QUEUE = Symbol('JOB_QUEUE');

export interface JobContext {
  /** 1 for the first try. */
  attempt: number;
  /** No retry follows this try, whatever it throws. */
  finalAttempt: boolean;
}

export type JobHandler<N extends JobName> = (payload: JobPayloads[N], context: JobContext) => Promise<void>;

export type JobOutcome = 'completed' | 'failed' | 'retried';

export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

/**
 * Where long jobs go: run in this process (no REDIS_URL) or through BullMQ by any worker. Features
 * register a handler per job name at module init; a process whose role runs jobs starts consuming at
 * bootstrap. A handler must be safe to run again for the same payload (a dead worker's job is run again
 * by another): it keeps its progress in PostgreSQL and resumes from it.
 */
export interface JobQueue {
  /** true when jobs may run in another process (BullMQ): status must be read from PostgreSQL. */
  readonly distributed: boolean;
  handle<N extends JobName>(name: N, handler: JobHandler<N>): void;
  /** Throws RetryLaterException (503 + Retry-After) when `maxWaiting` jobs of this name are already waiting. */
  assertRoom(name: JobName): Promise<void>;
  enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void>;
  counts(name: JobName): Promise<JobCounts>;
  /** Called after each try of a job in this process (for metrics). */
  onFinished(listener: (name: JobName, outcome: JobOutcome, seconds: number) => void): void;
}
