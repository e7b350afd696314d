import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ChangeEntry, LogCursor, LogGap, LogRead } from './cursor';

// At start, positions missing among the newest this many entries may belong to open transactions.
const START_WINDOW = 50_000;

/** The change_log table (written by triggers, see migrations/1764800000000-change-log.ts). */
@Injectable()
export class ChangeLogRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A cursor at the head of the log, remembering the recent positions not yet visible. */
  async startCursor(): Promise<LogCursor> {
    const [row] = await this.dataSource.query(
      `WITH head AS (SELECT coalesce(max(position), 0) AS head FROM change_log),
            recent AS (SELECT position, lag(position) OVER (ORDER BY position) AS previous
                         FROM change_log WHERE position > (SELECT head FROM head) - $1)
       SELECT (SELECT head FROM head)::text AS head,
              pg_snapshot_xmax(pg_current_snapshot())::text AS xmax,
              coalesce((SELECT json_agg(json_build_array(coalesce(previous, greatest((SELECT head FROM head) - $1, 0)) + 1, position - 1))
                          FROM recent WHERE position > coalesce(previous, greatest((SELECT head FROM head) - $1, 0)) + 1), '[]') AS gaps`,
      [START_WINDOW],
    );
    const until = Number(row.xmax);
    return { position: Number(row.head), gaps: (row.gaps as [number, number][]).map(([from, to]) => ({ from, to, until })) };
  }

  /** Entries after `after` (at most `limit`) and those now filling `gaps`, read in one snapshot. */
  async read(after: number, gaps: LogGap[], limit: number): Promise<LogRead> {
    const [row] = await this.dataSource.query(
      `WITH fresh AS (SELECT * FROM change_log WHERE position > $1 ORDER BY position LIMIT $2),
            filled AS (SELECT c.* FROM unnest($3::bigint[], $4::bigint[]) AS g(a, b) JOIN change_log c ON c.position BETWEEN g.a AND g.b),
            entries AS (SELECT * FROM fresh UNION SELECT * FROM filled)
       SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, pg_snapshot_xmax(pg_current_snapshot())::text AS xmax,
              coalesce((SELECT json_agg(json_build_array(position, kind, key, model_id, created_at) ORDER BY position) FROM entries), '[]') AS entries`,
      [after, limit, gaps.map((g) => g.from), gaps.map((g) => g.to)],
    );
    const entries = (row.entries as [number, ChangeEntry['kind'], number | null, string | null, string][]).map(([position, kind, key, modelId, createdAt]) => ({
      position: Number(position),
      kind,
      key: key === null ? null : Number(key),
      modelId,
      createdAt: new Date(createdAt),
    }));
    return { entries, xmin: Number(row.xmin), xmax: Number(row.xmax) };
  }

  /** The newest position, and how long ago the oldest entry after `applied` was written (0 when none). */
  async lagBehind(applied: number): Promise<{ head: number; lagMs: number }> {
    const [row] = await this.dataSource.query(
      `SELECT (SELECT coalesce(max(position), 0) FROM change_log)::text AS head,
              (SELECT extract(epoch FROM clock_timestamp() - created_at) * 1000 FROM change_log WHERE position > $1 ORDER BY position LIMIT 1) AS lag_ms`,
      [applied],
    );
    return { head: Number(row.head), lagMs: row.lag_ms === null ? 0 : Math.max(0, Math.round(Number(row.lag_ms))) };
  }

  /** Labels of the model's embeddings written after `position`; null when the log no longer reaches back that far. */
  async embeddingLabelsSince(modelId: string, position: number): Promise<number[] | null> {
    const [{ oldest }] = await this.dataSource.query(`SELECT min(position)::text AS oldest FROM change_log`);
    if (oldest !== null && Number(oldest) > position + 1) return null;
    const rows: { key: string }[] = await this.dataSource.query(
      `SELECT DISTINCT key::text FROM change_log WHERE position > $1 AND kind = 'embedding' AND model_id = $2`,
      [position, modelId],
    );
    return rows.map((r) => Number(r.key));
  }

  /** Deletes entries older than `hours` at or below `position` (a snapshot contains them). */
  async prune(position: number, hours: number): Promise<void> {
    await this.dataSource.query(`DELETE FROM change_log WHERE position <= $1 AND created_at < now() - make_interval(hours => $2)`, [position, hours]);
  }

  /** A client of its own (LISTEN and session advisory locks need one connection that stays). */
  dedicatedClient(): Client {
    const options = this.dataSource.options as { url?: string };
    return new Client({ connectionString: options.url, connectionTimeoutMillis: 5000 });
  }
}
