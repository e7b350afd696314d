import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Jobs on a shared queue (issue 15): an import may wait for a worker ('queued'), and series detection
 * jobs live in PostgreSQL (status, progress, results) instead of one process's memory, so any process
 * reads them and they survive a restart.
 */
export class JobQueue1765500000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ingest_job DROP CONSTRAINT IF EXISTS ingest_job_status_check`);
    await q.query(`ALTER TABLE ingest_job ADD CONSTRAINT ingest_job_status_check CHECK (status IN ('queued','running','completed','failed','interrupted'))`);
    await q.query(`
      CREATE TABLE detection_job (
        id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('queued','running','completed','failed')),
        series text NOT NULL,
        total int NOT NULL CHECK (total >= 0),
        -- spacingMm, sliceIntervalMm, scoreThreshold: what a resumed job runs with.
        options jsonb NOT NULL DEFAULT '{}',
        done int NOT NULL DEFAULT 0 CHECK (done >= 0 AND done <= total),
        failed int NOT NULL DEFAULT 0 CHECK (failed >= 0 AND failed <= done),
        results jsonb NOT NULL DEFAULT '[]',
        errors jsonb NOT NULL DEFAULT '[]',
        message text,
        started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX detection_job_started_idx ON detection_job (started_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS detection_job`);
    await q.query(`UPDATE ingest_job SET status = 'interrupted' WHERE status = 'queued'`);
    await q.query(`ALTER TABLE ingest_job DROP CONSTRAINT IF EXISTS ingest_job_status_check`);
    await q.query(`ALTER TABLE ingest_job ADD CONSTRAINT ingest_job_status_check CHECK (status IN ('running','completed','failed','interrupted'))`);
  }
}
