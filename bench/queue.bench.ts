/**
 * Enqueue-to-start latency of a job: in-process (no REDIS_URL) against BullMQ on the real Redis, in the
 * same run, interleaved in rounds. Sequential: each job is enqueued once the previous one has started,
 * so this is the queue's own latency (a Redis round trip, the worker's blocking fetch), not queueing
 * behind other jobs. The BullMQ worker runs in this process too (one machine either way).
 *
 *   npm run bench:queue            (BENCH_JOBS per round and queue, default 200; BENCH_ROUNDS, default 3; REDIS_URL, default redis://127.0.0.1:6379)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { BullMqJobQueue } from '../src/jobs/bullmq-job-queue.repository';
import { InProcessJobQueue } from '../src/jobs/in-process-job-queue';
import { JobQueue } from '../src/jobs/job-queue.port';

const JOBS = Number(process.env.BENCH_JOBS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const limits = { maxWaiting: 10_000, concurrency: 1, attempts: 1, backoffMs: 100 };

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Enqueue-to-start times (ms) of `count` jobs, one after another. */
async function measure(queue: JobQueue, count: number, started: Map<string, (at: number) => void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const jobId = randomUUID();
    const start = new Promise<number>((resolve) => started.set(jobId, resolve));
    const t0 = performance.now();
    await queue.enqueue('detection', { jobId, series: 'bench' });
    times.push((await start) - t0);
  }
  return times;
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const started = new Map<string, (at: number) => void>();
  const handler = async (payload: { jobId: string }) => {
    const at = performance.now();
    started.get(payload.jobId)?.(at);
    started.delete(payload.jobId);
  };
  const inProcess = new InProcessJobQueue(limits);
  inProcess.handle('detection', handler);
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const bull = new BullMqJobQueue({ ...limits, redisUrl: REDIS_URL, prefix, lockMs: 30_000 });
  bull.handle('detection', handler);
  bull.start();
  try {
    // Warm-up: connections, Lua scripts loaded, JIT.
    await measure(bull, 20, started);
    await measure(inProcess, 20, started);
    const results = { inProcess: [] as number[], bull: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      results.inProcess.push(...(await measure(inProcess, JOBS, started)));
      results.bull.push(...(await measure(bull, JOBS, started)));
      console.log(`round ${round + 1}/${ROUNDS} done`);
    }
    const row = (name: string, times: number[]) => {
      const sorted = [...times].sort((a, b) => a - b);
      return { name, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] };
    };
    const a = row('in-process (no REDIS_URL)', results.inProcess);
    const b = row('BullMQ on Redis', results.bull);
    const lines = [
      '## Job queue: enqueue-to-start latency (`npm run bench:queue`)',
      '',
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed version, read at run time
      `${machineLine()}; Redis at ${new URL(REDIS_URL).host}, BullMQ ${require('bullmq/package.json').version}. ${ROUNDS} rounds of ${JOBS} jobs per queue, interleaved; each job enqueued once the previous one started (the queue's own latency, nothing waiting ahead; BullMQ's time includes the queue-length check, one more Redis round trip). The BullMQ worker runs in the benchmark's process, with the machine shared with other work.`,
      '',
      '| queue | p50 | p99 | max |',
      '|---|---|---|---|',
      ...[a, b].map((r) => `| ${r.name} | ${r.p50.toFixed(3)} ms | ${r.p99.toFixed(3)} ms | ${r.max.toFixed(3)} ms |`),
      '',
      `BullMQ against in-process: p50 ×${(b.p50 / a.p50).toFixed(0)}, p99 ×${(b.p99 / a.p99).toFixed(0)}. Against an import or a detection job (seconds to hours) either is negligible; what BullMQ buys is that any worker may start the job and a dead worker's job is taken up again.`,
    ];
    console.log(lines.join('\n'));
    if (process.env.BENCH_WRITE !== '0') writeSection('queue', lines.join('\n'));
  } finally {
    await bull.close();
    inProcess.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
