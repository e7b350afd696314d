import { excessStallMs, recordRequest, recordStall, StallSummary } from './event-loop-stalls';

describe('recordStall', () => {
  const empty = (): StallSummary => ({ thresholdMs: 20, stalls: 0, totalMs: 0, maxMs: 0, observedMs: 0, routes: [] });

  it('counts a stall once per distinct route served during it, and "alone" only when one route was', () => {
    const summary = empty();
    recordStall(summary, 50, ['POST /a', 'POST /a', 'GET /b']);
    recordStall(summary, 30, ['POST /a']);
    expect(summary).toMatchObject({ stalls: 2, totalMs: 80, maxMs: 50 });
    expect(summary.routes).toEqual([
      { route: 'POST /a', stalls: 2, totalMs: 80, maxMs: 50, alone: 1, requests: 0, inFlightMs: 0 },
      { route: 'GET /b', stalls: 1, totalMs: 50, maxMs: 50, alone: 0, requests: 0, inFlightMs: 0 },
    ]);
  });

  it('orders routes by total stall time and names a stall with nothing in flight', () => {
    const summary = empty();
    recordStall(summary, 25, ['GET /b']);
    recordStall(summary, 200, []);
    expect(summary.routes.map((r) => [r.route, r.totalMs])).toEqual([
      ['(no request in flight)', 200],
      ['GET /b', 25],
    ]);
  });

  it('puts a route that blocks above one that only waits through the same stalls', () => {
    const summary = empty();
    // 10 s watched, 1 s of stalls: the waiting route is in flight for 9 s (0.9 s of stalls expected), the blocker for 0.5 s.
    summary.observedMs = 10_000;
    recordStall(summary, 500, ['GET /waits', 'POST /blocks']);
    recordStall(summary, 500, ['GET /waits']);
    recordRequest(summary, 'GET /waits', 9_000);
    recordRequest(summary, 'POST /blocks', 500);
    const waits = summary.routes.find((r) => r.route === 'GET /waits')!;
    const blocks = summary.routes.find((r) => r.route === 'POST /blocks')!;
    expect(excessStallMs(summary, waits)).toBeCloseTo(100, 6);
    expect(excessStallMs(summary, blocks)).toBeCloseTo(450, 6);
  });
});
