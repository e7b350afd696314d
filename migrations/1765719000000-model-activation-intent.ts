import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether a registered model is to become active once its embedding is done (POST /admin/models'
 * `activate`). On the row rather than only in the job's payload: an in-process job dies with its process,
 * and the one enqueued again at start-up must carry the same intent. Rows from before: false (they were
 * resumed without activation until now).
 */
export class ModelActivationIntent1765719000000 implements MigrationInterface {
  name = 'ModelActivationIntent1765719000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE encoder_model ADD COLUMN activate_when_ready boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE encoder_model DROP COLUMN IF EXISTS activate_when_ready`);
  }
}
