import { Logger } from '@nestjs/common';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { RetryLaterException } from '../common/retry-later.exception';
import { isJobName, JOB_NAMES, JobName, JobPayloads, parseJobPayload } from './job-payloads';
import { JobCounts, JobHandler, JobOutcome, JobQueue } from './job-queue.port';
import { QueueLimits } from './in-process-job-queue';
import { isTransientError } from './transient-error';

export interface BullMqSettings extends QueueLimits {
  redisUrl: string;
  prefix: string;
  lockMs: number;
}

/** Finished jobs kept in Redis per queue (their counts show on /metrics; PostgreSQL keeps the real record). */
const KEEP_FINISHED = 1000;

/**
 * Jobs through BullMQ on Redis, one queue per job name: any process enqueues, processes whose role runs
 * jobs consume. A worker renews its hold on a job every lockMs/2; when one dies (kill -9), another's
 * stalled-job check puts the job back after lockMs and it runs again (the handler resumes from
 * PostgreSQL). Transient failures retry with exponential backoff; any other error fails the job at once.
 */
export class BullMqJobQueue implements JobQueue {
  readonly distributed = true;
  private readonly logger = new Logger('Jobs');
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();
  private readonly queues = new Map<JobName, Queue>();
  private readonly workers: Worker[] = [];
  private readonly listeners: ((name: JobName, outcome: JobOutcome, seconds: number) => void)[] = [];

  constructor(private readonly settings: BullMqSettings) {}

  handle<N extends JobName>(name: N, handler: JobHandler<N>): void {
    this.handlers.set(name, handler as unknown as JobHandler<JobName>);
  }

  async assertRoom(name: JobName): Promise<void> {
    const counts = await this.queue(name).getJobCounts('waiting', 'delayed', 'prioritized');
    const waiting = Object.values(counts).reduce((a, b) => a + b, 0);
    if (waiting >= this.settings.maxWaiting) throw new RetryLaterException(`Too many ${name} jobs are waiting; try again later`, 30);
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void> {
    await this.assertRoom(name);
    await this.queue(name).add(name, payload, {
      attempts: this.settings.attempts,
      backoff: { type: 'exponential', delay: this.settings.backoffMs },
      removeOnComplete: { count: KEEP_FINISHED },
      removeOnFail: { count: KEEP_FINISHED },
    });
  }

  async counts(name: JobName): Promise<JobCounts> {
    const c = await this.queue(name).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      completed: c.completed ?? 0,
      failed: c.failed ?? 0,
    };
  }

  onFinished(listener: (name: JobName, outcome: JobOutcome, seconds: number) => void): void {
    this.listeners.push(listener);
  }

  /** Starts a BullMQ worker for every job name with a handler (ROLE=worker or all). */
  start(): void {
    for (const name of JOB_NAMES) {
      if (!this.handlers.has(name)) continue;
      const worker = new Worker(this.queueName(name), (job: Job) => this.process(name, job), {
        connection: this.connection(),
        prefix: this.settings.prefix,
        concurrency: this.settings.concurrency,
        lockDuration: this.settings.lockMs,
        stalledInterval: this.settings.lockMs,
        // A job whose worker dies is taken up again this many times before it counts as failed.
        maxStalledCount: this.settings.attempts,
      });
      worker.on('error', (error) => this.logger.warn(`Queue ${name}: ${error.message}`));
      this.workers.push(worker);
    }
  }

  /**
   * Stops taking jobs without waiting for running ones (an import may run for hours): a job cut off
   * here is handed to another worker after lockMs and resumes from its committed progress.
   */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close(true).catch(() => undefined)));
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
  }

  private async process(name: JobName, job: Job): Promise<void> {
    const started = performance.now();
    const attempt = job.attemptsMade + 1;
    const finalAttempt = attempt >= (job.opts.attempts ?? 1);
    let outcome: JobOutcome = 'completed';
    try {
      if (!isJobName(job.name) || job.name !== name) throw new UnrecoverableError('job name does not match its queue');
      let payload: JobPayloads[JobName];
      try {
        payload = parseJobPayload(name, job.data);
      } catch (error) {
        throw new UnrecoverableError(`invalid payload: ${(error as Error).message}`);
      }
      await this.handlers.get(name)!(payload, { attempt, finalAttempt });
    } catch (error) {
      const retry = !finalAttempt && !(error instanceof UnrecoverableError) && isTransientError(error);
      outcome = retry ? 'retried' : 'failed';
      this.logger.warn(`A ${name} job ${retry ? 'will be retried after a transient error' : 'failed'}: ${(error as Error).message}`);
      throw retry || error instanceof UnrecoverableError ? error : new UnrecoverableError((error as Error).message);
    } finally {
      const seconds = (performance.now() - started) / 1000;
      for (const listener of this.listeners) listener(name, outcome, seconds);
    }
  }

  private queue(name: JobName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(this.queueName(name), { connection: this.connection(), prefix: this.settings.prefix });
      queue.on('error', (error) => this.logger.warn(`Queue ${name}: ${error.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private queueName(name: JobName): string {
    return `jobs-${name}`;
  }

  private connection() {
    // Workers block on Redis; a null retry count lets their commands wait through a reconnect.
    return { url: this.settings.redisUrl, maxRetriesPerRequest: null };
  }
}
