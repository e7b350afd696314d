import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit rows of requests without a valid key are counted, not listed: one row per method, route,
 * status and minute, with `request_count`, so a flood of 401s adds at most a row a minute per route
 * instead of one per request. The partial unique index is what the upsert of those rows lands on.
 */
export class AuditAggregation1764813000000 implements MigrationInterface {
  name = 'AuditAggregation1764813000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_log ADD COLUMN request_count int NOT NULL DEFAULT 1 CHECK (request_count >= 1)`);
    await q.query(`ALTER TABLE audit_log ADD COLUMN aggregated boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE UNIQUE INDEX audit_log_aggregate_key ON audit_log (method, route, status, at) WHERE aggregated`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS audit_log_aggregate_key`);
    await q.query(`ALTER TABLE audit_log DROP COLUMN IF EXISTS aggregated`);
    await q.query(`ALTER TABLE audit_log DROP COLUMN IF EXISTS request_count`);
  }
}
