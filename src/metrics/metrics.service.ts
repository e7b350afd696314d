import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ChangeFeedService } from '../change-log/change-feed.service';
import { VectorIndexService } from '../vector-index/vector-index.service';

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

  constructor(index: VectorIndexService, feed: ChangeFeedService) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'vector_index_points',
      help: 'Lesions in this process’s HNSW index',
      registers: [this.registry],
      collect() {
        this.set(index.status().points);
      },
    });
    new Gauge({
      name: 'vector_index_ready',
      help: '1 when the index is loaded',
      registers: [this.registry],
      collect() {
        this.set(index.isReady() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'change_log_position',
      help: 'The highest change-log position applied here',
      registers: [this.registry],
      collect() {
        this.set(feed.status().position);
      },
    });
    new Gauge({
      name: 'change_log_lag_seconds',
      help: 'Age of the oldest change-log entry not yet applied here (0 when caught up)',
      registers: [this.registry],
      async collect() {
        this.set((await feed.lag()).lagMs / 1000);
      },
    });
    // Subscribed after the index (constructed first, as a dependency): an entry counts once the index applied it.
    feed.subscribe((entries) => {
      const now = Date.now();
      for (const e of entries) {
        this.appliedEntries.inc({ kind: e.kind });
        this.propagationSeconds.observe(Math.max(0, now - e.createdAt.getTime()) / 1000);
      }
    });
  }

  /** Times every response; the route is the matched template, so hostile paths cannot grow the label set. */
  registerHttpHooks(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      this.requestSeconds.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      done();
    });
  }
}
