import type { AggregatedAuditRow } from './api-keys.repository';
import { countAnonymousRequest, mergeCounts, retentionCutoff } from './audit-aggregation';

const at = (iso: string) => new Date(iso);
const record = (iso: string, over: Partial<{ route: string; status: number; method: string; durationMs: number }> = {}) => ({
  apiKeyId: null,
  method: over.method ?? 'GET',
  route: over.route ?? '/api/v1/stats',
  status: over.status ?? 401,
  queryHash: 'ab',
  durationMs: over.durationMs ?? 1,
  at: at(iso),
});

describe('countAnonymousRequest', () => {
  it('counts requests per method, route, status and minute, keeping the slowest duration', () => {
    const counts = new Map<string, AggregatedAuditRow>();
    for (let s = 0; s < 60; s++) countAnonymousRequest(counts, record(`2026-12-02T12:00:${String(s).padStart(2, '0')}.500Z`, { durationMs: s }));
    countAnonymousRequest(counts, record('2026-12-02T12:01:00.000Z'));
    countAnonymousRequest(counts, record('2026-12-02T12:00:30.000Z', { status: 400 }));
    countAnonymousRequest(counts, record('2026-12-02T12:00:30.000Z', { route: '(unmatched)' }));
    const rows = [...counts.values()];
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({ method: 'GET', route: '/api/v1/stats', status: 401, minute: at('2026-12-02T12:00:00.000Z'), count: 60, durationMs: 59 });
    expect(rows.map((r) => r.count)).toEqual([60, 1, 1, 1]);
  });

  it('merges counts back (a failed write is retried with the newer counts)', () => {
    const a = new Map<string, AggregatedAuditRow>();
    const b = new Map<string, AggregatedAuditRow>();
    countAnonymousRequest(a, record('2026-12-02T12:00:01Z', { durationMs: 5 }));
    countAnonymousRequest(b, record('2026-12-02T12:00:02Z', { durationMs: 9 }));
    countAnonymousRequest(b, record('2026-12-02T12:03:02Z'));
    mergeCounts(a, b);
    expect([...a.values()].map((r) => [r.count, r.durationMs])).toEqual([
      [2, 9],
      [1, 1],
    ]);
  });
});

describe('retentionCutoff', () => {
  it('is retentionDays before now, or null for 0 (keep forever)', () => {
    expect(retentionCutoff(at('2026-12-02T00:00:00Z'), 90)).toEqual(at('2026-09-03T00:00:00Z'));
    expect(retentionCutoff(at('2026-12-02T00:00:00Z'), 0)).toBeNull();
  });
});
