import { recordStall, StallSummary } from './event-loop-stalls';

describe('recordStall', () => {
  const empty = (): StallSummary => ({ thresholdMs: 20, stalls: 0, totalMs: 0, maxMs: 0, routes: [] });

  it('counts a stall once per distinct route served during it, and "alone" only when one route was', () => {
    const summary = empty();
    recordStall(summary, 50, ['POST /a', 'POST /a', 'GET /b']);
    recordStall(summary, 30, ['POST /a']);
    expect(summary).toMatchObject({ stalls: 2, totalMs: 80, maxMs: 50 });
    expect(summary.routes).toEqual([
      { route: 'POST /a', stalls: 2, totalMs: 80, maxMs: 50, alone: 1 },
      { route: 'GET /b', stalls: 1, totalMs: 50, maxMs: 50, alone: 0 },
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
});
