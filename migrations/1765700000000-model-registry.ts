import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The encoder model registry (issue 19, model swaps): each encoder_model row gains the folder it loads
 * from, a status (registered → embedding → ready → active → retired) and its embedding progress. At most
 * one row is active. A model becoming active is logged ('model' entry): every process switches its encoder
 * and index on it. Progress updates are not logged (they would flood the log while a model embeds).
 */
export class ModelRegistry1765700000000 implements MigrationInterface {
  name = 'ModelRegistry1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE encoder_model ADD COLUMN folder text CHECK (folder ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$')`);
    // Rows written before the registry are models this archive was embedded with: ready, not active
    // (the service marks the configured one active at its next start).
    await q.query(
      `ALTER TABLE encoder_model ADD COLUMN status text NOT NULL DEFAULT 'ready' CHECK (status IN ('registered', 'embedding', 'ready', 'active', 'retired'))`,
    );
    // Rows written from now on by the embedding path (a newly configured ENCODER_MODEL) start as registered.
    await q.query(`ALTER TABLE encoder_model ALTER COLUMN status SET DEFAULT 'registered'`);
    await q.query(`ALTER TABLE encoder_model ADD COLUMN embedded int NOT NULL DEFAULT 0 CHECK (embedded >= 0)`);
    await q.query(`ALTER TABLE encoder_model ADD COLUMN total int NOT NULL DEFAULT 0 CHECK (total >= 0)`);
    await q.query(`ALTER TABLE encoder_model ADD COLUMN activated_at timestamptz`);
    // At most one active model, checked at commit: a switch demotes the old and promotes the new in one statement.
    await q.query(
      `ALTER TABLE encoder_model ADD CONSTRAINT encoder_model_one_active
         EXCLUDE USING btree ((true) WITH =) WHERE (status = 'active') DEFERRABLE INITIALLY DEFERRED`,
    );
    await q.query(`
      CREATE FUNCTION change_log_model_status() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO change_log (kind, model_id)
          SELECT 'model', n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.status = 'active' AND o.status <> 'active' ORDER BY n.id;
        IF FOUND THEN PERFORM pg_notify('change_log', ''); END IF;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER encoder_model_change_log_update AFTER UPDATE ON encoder_model REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
         FOR EACH STATEMENT EXECUTE FUNCTION change_log_model_status()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS encoder_model_change_log_update ON encoder_model`);
    await q.query(`DROP FUNCTION IF EXISTS change_log_model_status()`);
    await q.query(`ALTER TABLE encoder_model DROP CONSTRAINT IF EXISTS encoder_model_one_active`);
    for (const column of ['activated_at', 'total', 'embedded', 'status', 'folder']) await q.query(`ALTER TABLE encoder_model DROP COLUMN IF EXISTS ${column}`);
  }
}
