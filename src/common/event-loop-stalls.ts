import * as fs from 'node:fs';
import type { FastifyInstance } from 'fastify';

/** Per route: how often it was being served while the event loop stalled, and for how long in all. */
export interface RouteStalls {
  route: string;
  stalls: number;
  totalMs: number;
  maxMs: number;
  /** Stalls during which this route was the only one being served: the strongest evidence it caused them. */
  alone: number;
}

export interface StallSummary {
  thresholdMs: number;
  stalls: number;
  totalMs: number;
  maxMs: number;
  routes: RouteStalls[];
}

/** Adds one stall of `ms` to the summary, attributed to every route served during it; pure. */
export function recordStall(summary: StallSummary, ms: number, routes: readonly string[]): void {
  summary.stalls++;
  summary.totalMs += ms;
  summary.maxMs = Math.max(summary.maxMs, ms);
  const distinct = [...new Set(routes.length ? routes : ['(no request in flight)'])];
  for (const route of distinct) {
    let entry = summary.routes.find((r) => r.route === route);
    if (!entry) summary.routes.push((entry = { route, stalls: 0, totalMs: 0, maxMs: 0, alone: 0 }));
    entry.stalls++;
    entry.totalMs += ms;
    entry.maxMs = Math.max(entry.maxMs, ms);
    if (distinct.length === 1) entry.alone++;
  }
  summary.routes.sort((a, b) => b.totalMs - a.totalMs);
}

/**
 * A diagnostic (EVENT_LOOP_STALL_LOG): a timer that should fire every TICK_MS measures how late it fires;
 * each lateness over the threshold is a stall, attributed to the routes being served during it (in flight
 * now, or answered since the previous tick: a handler that blocks the loop may finish before the timer
 * runs). The summary is rewritten to the file every second and at close, for the fuzz harness to read.
 */
export class EventLoopStallRecorder {
  private static readonly TICK_MS = 10;
  private readonly inFlight = new Map<object, string>();
  private finishedSinceTick: string[] = [];
  private readonly summary: StallSummary;
  private timer: NodeJS.Timeout | null = null;
  private writer: NodeJS.Timeout | null = null;
  private dirty = false;

  constructor(
    private readonly file: string,
    thresholdMs: number,
  ) {
    this.summary = { thresholdMs, stalls: 0, totalMs: 0, maxMs: 0, routes: [] };
  }

  register(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, _reply, done) => {
      this.inFlight.set(request, `${request.method} ${request.routeOptions.url ?? 'unmatched'}`);
      done();
    });
    const finish = (request: object) => {
      const route = this.inFlight.get(request);
      if (route === undefined) return;
      this.inFlight.delete(request);
      this.finishedSinceTick.push(route);
    };
    fastify.addHook('onResponse', (request, _reply, done) => {
      finish(request);
      done();
    });
    fastify.addHook('onRequestAbort', (request, done) => {
      finish(request);
      done();
    });
    fastify.addHook('onClose', (_instance, done) => {
      this.stop();
      done();
    });
    this.start();
  }

  private start(): void {
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const lateMs = now - last - EventLoopStallRecorder.TICK_MS;
      last = now;
      if (lateMs > this.summary.thresholdMs) {
        recordStall(this.summary, lateMs, [...this.inFlight.values(), ...this.finishedSinceTick]);
        this.dirty = true;
      }
      this.finishedSinceTick = [];
    }, EventLoopStallRecorder.TICK_MS);
    this.timer.unref();
    this.writer = setInterval(() => this.write(), 1000);
    this.writer.unref();
    this.write();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.writer) clearInterval(this.writer);
    this.timer = this.writer = null;
    this.dirty = true;
    this.write();
  }

  private write(): void {
    if (!this.dirty && fs.existsSync(this.file)) return;
    this.dirty = false;
    // Small (one row per route) and once a second: a synchronous write keeps it simple and costs little.
    fs.writeFileSync(this.file, JSON.stringify(this.summary, null, 1));
  }
}
