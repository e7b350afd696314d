import { Logger } from '@nestjs/common';
import { RetryLaterException } from '../common/retry-later.exception';
import { JOB_NAMES, JobName, JobPayloads } from './job-payloads';
import { JobCounts, JobHandler, JobOutcome, JobQueue } from './job-queue.port';
import { isTransientError } from './transient-error';

export interface QueueLimits {
  maxWaiting: number;
  concurrency: number;
  attempts: number;
  backoffMs: number;
}

interface Lane {
  waiting: { payload: unknown; attempt: number }[];
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

/**
 * Jobs run in the process that accepted them (no REDIS_URL, ROLE=all): a bounded waiting list and
 * `concurrency` at a time per job name, transient failures retried with a doubling delay. Nothing
 * survives the process; the handlers keep their progress in PostgreSQL, as they do under BullMQ.
 */
export class InProcessJobQueue implements JobQueue {
  readonly distributed = false;
  private readonly logger = new Logger('Jobs');
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();
  private readonly lanes = new Map<JobName, Lane>(JOB_NAMES.map((name) => [name, { waiting: [], active: 0, delayed: 0, completed: 0, failed: 0 }]));
  private readonly listeners: ((name: JobName, outcome: JobOutcome, seconds: number) => void)[] = [];
  private stopped = false;

  constructor(private readonly limits: QueueLimits) {}

  handle<N extends JobName>(name: N, handler: JobHandler<N>): void {
    this.handlers.set(name, handler as unknown as JobHandler<JobName>);
  }

  async assertRoom(name: JobName): Promise<void> {
    const lane = this.lanes.get(name)!;
    if (lane.waiting.length + lane.delayed >= this.limits.maxWaiting) throw new RetryLaterException(`Too many ${name} jobs are waiting; try again later`, 30);
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void> {
    if (!this.handlers.has(name)) throw new Error(`no handler for ${name} jobs in this process`);
    await this.assertRoom(name);
    this.lanes.get(name)!.waiting.push({ payload, attempt: 1 });
    this.pump(name);
  }

  async counts(name: JobName): Promise<JobCounts> {
    const { waiting, active, delayed, completed, failed } = this.lanes.get(name)!;
    return { waiting: waiting.length, active, delayed, completed, failed };
  }

  onFinished(listener: (name: JobName, outcome: JobOutcome, seconds: number) => void): void {
    this.listeners.push(listener);
  }

  /** Stops starting jobs (shutdown); running ones finish or are cut off with the process. */
  stop(): void {
    this.stopped = true;
  }

  private pump(name: JobName): void {
    const lane = this.lanes.get(name)!;
    while (!this.stopped && lane.active < this.limits.concurrency && lane.waiting.length) {
      const next = lane.waiting.shift()!;
      lane.active++;
      void this.run(name, lane, next.payload, next.attempt).finally(() => {
        lane.active--;
        this.pump(name);
      });
    }
  }

  private async run(name: JobName, lane: Lane, payload: unknown, attempt: number): Promise<void> {
    const started = performance.now();
    const finalAttempt = attempt >= this.limits.attempts;
    let outcome: JobOutcome = 'completed';
    try {
      await this.handlers.get(name)!(payload as JobPayloads[JobName], { attempt, finalAttempt });
      lane.completed++;
    } catch (error) {
      if (!finalAttempt && isTransientError(error)) {
        outcome = 'retried';
        const delay = this.limits.backoffMs * 2 ** (attempt - 1);
        this.logger.warn(`A ${name} job failed on a transient error (${(error as Error).message}); try ${attempt + 1} in ${delay} ms`);
        lane.delayed++;
        setTimeout(() => {
          lane.delayed--;
          lane.waiting.push({ payload, attempt: attempt + 1 });
          this.pump(name);
        }, delay).unref();
      } else {
        outcome = 'failed';
        lane.failed++;
        this.logger.error(`A ${name} job failed: ${(error as Error).message}`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    for (const listener of this.listeners) listener(name, outcome, seconds);
  }
}
