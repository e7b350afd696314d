import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ChangeFeedService } from '../change-log/change-feed.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { VectorIndexService } from '../vector-index/vector-index.service';
import { JOB_NAMES } from '../jobs/job-payloads';
import { JOB_QUEUE, JobQueue } from '../jobs/job-queue.port';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Prometheus metrics of this process: request latency by route, the index and its place in the
 * change log, and how fast changes from other processes arrive. One registry per app (not the
 * global one), so several apps in one test process do not collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requestSeconds = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly propagationSeconds = new Histogram({
    name: 'change_log_propagation_seconds',
    help: 'From the write of a change-log entry (in any process) to its application in this one',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly appliedEntries = new Counter({
    name: 'change_log_entries_applied_total',
    help: 'Change-log entries applied here, by kind (rate() of kind="embedding" is the archive-wide embedding throughput)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  private rendered: { at: number; text: Promise<string> } | null = null;
  private readonly cacheMs: number;

  constructor(index: VectorIndexService, feed: ChangeFeedService, @Inject(APP_CONFIG) config: AppConfig, @Optional() @Inject(JOB_QUEUE) queue?: JobQueue) {
    this.cacheMs = config.metricsCacheMs;
    collectDefaultMetrics({ register: this.registry });
    if (queue) this.registerQueueMetrics(queue);
    const gauges: [name: string, help: string, read: () => number | Promise<number>][] = [
      ['vector_index_points', 'Lesions in this process’s HNSW index', () => index.status().points],
      ['vector_index_ready', '1 when the index is loaded', () => (index.isReady() ? 1 : 0)],
      ['change_log_position', 'The highest change-log position applied here', () => feed.status().position],
      ['change_log_lag_seconds', 'Age of the oldest change-log entry not yet applied here (0 when caught up)', async () => (await feed.lag()).lagMs / 1000],
    ];
    for (const [name, help, read] of gauges) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          this.set(await read());
        },
      });
    }
    // Subscribed after the index (constructed first, as a dependency): an entry counts once the index applied it.
    feed.subscribe((entries) => {
      const now = Date.now();
      for (const e of entries) {
        this.appliedEntries.inc({ kind: e.kind });
        this.propagationSeconds.observe(Math.max(0, now - e.createdAt.getTime()) / 1000);
      }
    });
  }

  /** Jobs per name and state (from Redis under BullMQ: the whole deployment's queue), and how long tries took here. */
  private registerQueueMetrics(queue: JobQueue): void {
    const logger = new Logger('Metrics');
    new Gauge({
      name: 'job_queue_jobs',
      help: 'Jobs by name and state: waiting, active, delayed (a retry waiting its backoff), completed and failed (the last 1000 kept)',
      labelNames: ['name', 'state'] as const,
      registers: [this.registry],
      async collect() {
        for (const name of JOB_NAMES) {
          const counts = await queue.counts(name).catch((error: Error) => {
            logger.warn(`Queue counts unavailable: ${error.message}`);
            return null;
          });
          if (counts) for (const [state, n] of Object.entries(counts)) this.set({ name, state }, n);
        }
      },
    });
    const duration = new Histogram({
      name: 'job_duration_seconds',
      help: 'Run time of each try of a job in this process, by name and outcome (completed, failed, retried)',
      labelNames: ['name', 'outcome'] as const,
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers: [this.registry],
    });
    queue.onFinished((name, outcome, seconds) => duration.observe({ name, outcome }, seconds));
  }

  /**
   * The exposition text, rendered at most once per METRICS_CACHE_MS: a render held the event loop for tens of ms
   * (the top blocker of `npm run fuzz` by CPU profile), and /metrics is public, so a flood of scrapes shares one.
   */
  render(): Promise<string> {
    const now = performance.now();
    if (!this.rendered || now - this.rendered.at >= this.cacheMs) {
      const text = this.registry.metrics();
      this.rendered = { at: now, text };
      // A failed render is not kept for the next scrape.
      text.catch(() => {
        if (this.rendered?.text === text) this.rendered = null;
      });
    }
    return this.rendered.text;
  }

  /** Times every response; the route is the matched template, so hostile paths cannot grow the label set. */
  registerHttpHooks(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      this.requestSeconds.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }
}
