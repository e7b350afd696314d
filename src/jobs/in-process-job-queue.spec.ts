import { RetryLaterException } from '../common/retry-later.exception';
import { InProcessJobQueue } from './in-process-job-queue';

const JOB = '6f1c1f8e-0d7e-4a43-9a57-1f2b9f1e8c11';
const payload = { jobId: JOB, series: 's' };
const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('in-process job queue', () => {
  it('runs at most `concurrency` jobs at once and refuses one beyond maxWaiting with 503 + Retry-After', async () => {
    const queue = new InProcessJobQueue({ maxWaiting: 2, concurrency: 1, attempts: 1, backoffMs: 10 });
    const release: (() => void)[] = [];
    let running = 0;
    let most = 0;
    queue.handle('detection', () => {
      most = Math.max(most, ++running);
      return new Promise<void>((resolve) => release.push(() => (running--, resolve())));
    });
    await queue.enqueue('detection', payload);
    await queue.enqueue('detection', payload);
    await queue.enqueue('detection', payload);
    expect(await queue.counts('detection')).toMatchObject({ active: 1, waiting: 2 });
    const refused = await queue.enqueue('detection', payload).catch((e) => e);
    expect(refused).toBeInstanceOf(RetryLaterException);
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    while (release.length || running) {
      release.shift()?.();
      await tick();
    }
    expect(most).toBe(1);
    expect(await queue.counts('detection')).toMatchObject({ active: 0, waiting: 0, completed: 3, failed: 0 });
  });

  it('retries a transient failure with backoff, and fails any other error at once', async () => {
    const queue = new InProcessJobQueue({ maxWaiting: 10, concurrency: 2, attempts: 3, backoffMs: 10 });
    const outcomes: string[] = [];
    queue.onFinished((_name, outcome) => outcomes.push(outcome));
    const tries: { attempt: number; finalAttempt: boolean }[] = [];
    queue.handle('detection', async (p, context) => {
      tries.push(context);
      if (p.series === 'flaky' && context.attempt < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      if (p.series === 'broken') throw new TypeError('bug');
    });
    await queue.enqueue('detection', { jobId: JOB, series: 'flaky' });
    await queue.enqueue('detection', { jobId: JOB, series: 'broken' });
    for (let i = 0; i < 100 && outcomes.length < 4; i++) await tick(10);
    expect(outcomes.sort()).toEqual(['completed', 'failed', 'retried', 'retried']);
    expect(tries.filter((t) => t.finalAttempt).map((t) => t.attempt)).toEqual([3]);
    expect(await queue.counts('detection')).toMatchObject({ completed: 1, failed: 1, delayed: 0 });
  });
});
