import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DetectionJobOptions, DetectionJobRow, DetectionJobStatus, SliceDetections } from './detection-jobs';

const COLUMNS = `id, status, series, total, options, done, failed, results, errors, message, started_at AS "startedAt", updated_at AS "updatedAt", finished_at AS "finishedAt"`;

/** Series detection jobs in PostgreSQL: any process reads their status, and they survive a restart. */
@Injectable()
export class DetectionJobsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A new job; the oldest finished ones beyond `keep` are deleted. */
  async create(id: string, series: string, total: number, options: DetectionJobOptions, status: 'queued' | 'running', keep: number): Promise<DetectionJobRow> {
    const [row] = await this.dataSource.query(
      `INSERT INTO detection_job (id, status, series, total, options) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [id, status, series, total, JSON.stringify(options)],
    );
    await this.dataSource.query(
      `DELETE FROM detection_job WHERE id IN (
         SELECT id FROM detection_job WHERE status IN ('completed', 'failed') ORDER BY started_at DESC OFFSET $1)`,
      [Math.max(0, keep - 1)],
    );
    return row;
  }

  /**
   * Runs `work` holding a session advisory lock for this job, waiting for it: a second delivery of a job
   * (BullMQ hands a job on when its worker stops renewing its hold, also when that worker is only slow)
   * stands by until the first runner finishes or dies. The lock dies with the connection.
   */
  async withJobLock<T>(id: string, work: () => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SELECT pg_advisory_lock(hashtextextended('detection_job:' || $1, 0))`, [id]);
      try {
        return await work();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtextextended('detection_job:' || $1, 0))`, [id]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  async get(id: string): Promise<DetectionJobRow | null> {
    const [row] = await this.dataSource.query(`SELECT ${COLUMNS} FROM detection_job WHERE id = $1`, [id]);
    return row ?? null;
  }

  async setStatus(id: string, status: DetectionJobStatus, message: string | null = null): Promise<void> {
    const finished = status === 'completed' || status === 'failed';
    await this.dataSource.query(
      `UPDATE detection_job SET status = $2, message = $3, updated_at = now(), finished_at = ${finished ? 'now()' : 'NULL'} WHERE id = $1`,
      [id, status, message],
    );
  }

  /**
   * Records one slice, only if the job is still at slice `at` (compare-and-set): false means another
   * process took the job over and moved on, and this runner should stop.
   */
  async recordSlice(id: string, at: number, outcome: { result: SliceDetections } | { error: { slice: string; message: string } }): Promise<boolean> {
    const column = 'result' in outcome ? 'results' : 'errors';
    const failed = 'result' in outcome ? 0 : 1;
    // Wrapped in a SELECT: TypeORM answers a bare UPDATE with [rows, count] instead of the rows.
    const [{ n }] = await this.dataSource.query(
      `WITH advanced AS (
         UPDATE detection_job SET done = done + 1, failed = failed + $4, ${column} = ${column} || $3::jsonb, updated_at = now()
          WHERE id = $1 AND done = $2 AND status = 'running' RETURNING id)
       SELECT count(*)::int AS n FROM advanced`,
      [id, at, JSON.stringify(['result' in outcome ? outcome.result : outcome.error]), failed],
    );
    return n === 1;
  }

  /** Unfinished jobs nobody has advanced for `staleMs` (their process stopped). */
  async stale(staleMs: number): Promise<DetectionJobRow[]> {
    return this.dataSource.query(
      `SELECT ${COLUMNS} FROM detection_job WHERE status IN ('queued', 'running') AND updated_at < now() - make_interval(secs => $1::double precision / 1000) ORDER BY started_at`,
      [staleMs],
    );
  }
}
