import type { AggregatedAuditRow } from './api-keys.repository';
import type { AuditRecord } from './auth.entities';

const MINUTE_MS = 60_000;

/**
 * Counts a request without a valid key into `counts`, one entry per method, route, status and
 * minute: what is written for anonymous traffic instead of a row per request.
 */
export function countAnonymousRequest(counts: Map<string, AggregatedAuditRow>, record: AuditRecord): void {
  const minute = new Date(Math.floor(record.at.getTime() / MINUTE_MS) * MINUTE_MS);
  const key = `${record.method} ${record.status} ${minute.getTime()} ${record.route}`;
  const entry = counts.get(key);
  if (entry) {
    entry.count++;
    entry.durationMs = Math.max(entry.durationMs, record.durationMs);
  } else {
    counts.set(key, { method: record.method, route: record.route, status: record.status, minute, count: 1, durationMs: record.durationMs });
  }
}

/** Adds `from`'s counts into `into` (rows whose write failed go back for the next try). */
export function mergeCounts(into: Map<string, AggregatedAuditRow>, from: Map<string, AggregatedAuditRow>): void {
  for (const [key, row] of from) {
    const entry = into.get(key);
    if (entry) {
      entry.count += row.count;
      entry.durationMs = Math.max(entry.durationMs, row.durationMs);
    } else into.set(key, row);
  }
}

/** Where retention cuts: rows before this are deleted; null when they are kept forever (0 days). */
export function retentionCutoff(now: Date, retentionDays: number): Date | null {
  return retentionDays > 0 ? new Date(now.getTime() - retentionDays * 86_400_000) : null;
}
