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
  /** Requests of this route answered, and their time in flight in all: a route that only waits collects stalls in proportion to it. */
  requests: number;
  inFlightMs: number;
}

export interface StallSummary {
  thresholdMs: number;
  stalls: number;
  totalMs: number;
  maxMs: number;
  /** Time the recorder has been watching. */
  observedMs: number;
  routes: RouteStalls[];
}

/**
 * Stall time beyond a route's share: a request that only waits (for the database, a worker) is in flight during
 * stalls in proportion to its time in flight; one that blocks the loop is in flight during its own stalls as well.
 */
export function excessStallMs(summary: StallSummary, route: RouteStalls): number {
  return route.totalMs - route.inFlightMs * (summary.observedMs > 0 ? summary.totalMs / summary.observedMs : 0);
}

function routeEntry(summary: StallSummary, route: string): RouteStalls {
  let entry = summary.routes.find((r) => r.route === route);
  if (!entry) summary.routes.push((entry = { route, stalls: 0, totalMs: 0, maxMs: 0, alone: 0, requests: 0, inFlightMs: 0 }));
  return entry;
}

/** Adds one answered request's time in flight; pure. */
export function recordRequest(summary: StallSummary, route: string, ms: number): void {
  const entry = routeEntry(summary, route);
  entry.requests++;
  entry.inFlightMs += ms;
}

/** Adds one stall of `ms` to the summary, attributed to every route served during it; pure. */
export function recordStall(summary: StallSummary, ms: number, routes: readonly string[]): void {
  summary.stalls++;
  summary.totalMs += ms;
  summary.maxMs = Math.max(summary.maxMs, ms);
  const distinct = [...new Set(routes.length ? routes : ['(no request in flight)'])];
  for (const route of distinct) {
    const entry = routeEntry(summary, route);
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
 * runs), and each answered request's time in flight, so that a route that only waits can be told from one
 * that blocks (excessStallMs). The summary is rewritten to the file every second and at close.
 */
export class EventLoopStallRecorder {
  private static readonly TICK_MS = 10;
  private readonly inFlight = new Map<object, { route: string; startedAt: number }>();
  private finishedSinceTick: string[] = [];
  private readonly summary: StallSummary;
  private timer: NodeJS.Timeout | null = null;
  private writer: NodeJS.Timeout | null = null;
  private dirty = true;
  private writing = false;

  constructor(
    private readonly file: string,
    thresholdMs: number,
  ) {
    this.summary = { thresholdMs, stalls: 0, totalMs: 0, maxMs: 0, observedMs: 0, routes: [] };
  }

  register(fastify: FastifyInstance): void {
    const finish = (request: object) => {
      const served = this.inFlight.get(request);
      if (served === undefined) return;
      this.inFlight.delete(request);
      this.finishedSinceTick.push(served.route);
      recordRequest(this.summary, served.route, performance.now() - served.startedAt);
    };
    fastify.addHook('onRequest', (request, reply, done) => {
      this.inFlight.set(request, { route: `${request.method} ${request.routeOptions.url ?? 'unmatched'}`, startedAt: performance.now() });
      // The response's close, whatever ended it (answered, refused mid-body, client gone): onResponse alone missed
      // some, which then stayed "in flight" through every later stall.
      reply.raw.once('close', () => finish(request));
      done();
    });
    fastify.addHook('onClose', (_instance, done) => {
      this.stop();
      done();
    });
    this.start();
  }

  private start(): void {
    const started = performance.now();
    let last = started;
    this.timer = setInterval(() => {
      const now = performance.now();
      const lateMs = now - last - EventLoopStallRecorder.TICK_MS;
      last = now;
      this.summary.observedMs = now - started;
      this.dirty = true;
      if (lateMs > this.summary.thresholdMs) {
        recordStall(this.summary, lateMs, [...[...this.inFlight.values()].map((r) => r.route), ...this.finishedSinceTick]);
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
    this.writeNow();
  }

  private write(): void {
    if (!this.dirty || this.writing) return;
    this.dirty = false;
    this.writing = true;
    // Asynchronous and compact: a synchronous write every second showed up in the profile it is there to help read.
    // Written aside and renamed over, so a reader never sees half a file.
    const aside = `${this.file}.${process.pid}.tmp`;
    void fs.promises
      .writeFile(aside, JSON.stringify(this.summary))
      .then(() => fs.promises.rename(aside, this.file))
      .catch(() => undefined)
      .finally(() => (this.writing = false));
  }

  /** At close: the last summary, written before the process may exit. */
  private writeNow(): void {
    try {
      fs.writeFileSync(this.file, JSON.stringify(this.summary));
    } catch {
      // a diagnostic: never fails the shutdown
    }
  }
}
