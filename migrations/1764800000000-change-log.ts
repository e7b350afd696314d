import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The change log every process follows (issue 15): one row per change that another process must
 * apply to what it holds in memory (index points, lesion metadata, caches), written by triggers in
 * the same transaction as the change. Triggers rather than application code, because a write path
 * that forgets to log (a new repository method, a cascade, a manual `psql` fix) would leave other
 * processes silently stale; a trigger cannot be forgotten. They are statement-level with transition
 * tables: one INSERT … SELECT per statement, not one per row.
 *
 * Entries are keys to reconcile (a label, a lesion id), not deltas: a follower re-reads the current
 * rows, so applying an entry twice or out of order is harmless. `txid` lets a follower tell a gap
 * left by a still-open transaction from one left by a rollback (see src/change-log/cursor.ts).
 */
export class ChangeLog1764800000000 implements MigrationInterface {
  name = 'ChangeLog1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE change_log (
        position bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('embedding', 'lesion', 'labels', 'vocabulary', 'model')),
        -- embedding: its label; lesion: the lesion id; null for the global kinds.
        key bigint,
        model_id text,
        txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX change_log_created_idx ON change_log (created_at)`);
    // The log position a snapshot contains: a loader replays only entries after it.
    await q.query(`ALTER TABLE vector_index_snapshot ADD COLUMN log_position bigint`);

    await q.query(`
      CREATE FUNCTION change_log_embedding() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          INSERT INTO change_log (kind, key, model_id) SELECT 'embedding', label, model_id FROM old_rows ORDER BY label;
        ELSE
          INSERT INTO change_log (kind, key, model_id) SELECT 'embedding', label, model_id FROM new_rows ORDER BY label;
        END IF;
        IF FOUND THEN PERFORM pg_notify('change_log', ''); END IF;
        RETURN NULL;
      END $$`);
    // Lesion metadata: only rows that really changed (a re-import rewrites every row, mostly unchanged).
    // Patient sex, study age and series spacing are part of what filters and views show.
    await q.query(`
      CREATE FUNCTION change_log_lesion() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'lesion' AND TG_OP = 'DELETE' THEN
          INSERT INTO change_log (kind, key) SELECT 'lesion', id FROM old_rows ORDER BY id;
        ELSIF TG_TABLE_NAME = 'lesion' THEN
          INSERT INTO change_log (kind, key)
            SELECT 'lesion', n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE to_jsonb(n) - 'updated_at' IS DISTINCT FROM to_jsonb(o) - 'updated_at' ORDER BY n.id;
        ELSIF TG_TABLE_NAME = 'patient' THEN
          INSERT INTO change_log (kind, key)
            SELECT 'lesion', l.id FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN lesion l ON l.patient_id = n.id
             WHERE to_jsonb(n) IS DISTINCT FROM to_jsonb(o) ORDER BY l.id;
        ELSIF TG_TABLE_NAME = 'study' THEN
          INSERT INTO change_log (kind, key)
            SELECT 'lesion', l.id FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN lesion l ON l.study_id = n.id
             WHERE to_jsonb(n) IS DISTINCT FROM to_jsonb(o) ORDER BY l.id;
        ELSIF TG_TABLE_NAME = 'series' THEN
          INSERT INTO change_log (kind, key)
            SELECT 'lesion', l.id FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN lesion l ON l.series_id = n.id
             WHERE to_jsonb(n) IS DISTINCT FROM to_jsonb(o) ORDER BY l.id;
        END IF;
        IF FOUND THEN PERFORM pg_notify('change_log', ''); END IF;
        RETURN NULL;
      END $$`);
    // Labels and vocabulary carry a version in tag_state: one entry per bump, not one per tag row.
    await q.query(`
      CREATE FUNCTION change_log_tag_state() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO change_log (kind)
          SELECT CASE n.key WHEN 'labels_version' THEN 'labels' ELSE 'vocabulary' END
            FROM new_rows n JOIN old_rows o ON o.key = n.key
           WHERE n.value IS DISTINCT FROM o.value AND n.key IN ('labels_version', 'vocabulary_version');
        IF FOUND THEN PERFORM pg_notify('change_log', ''); END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION change_log_model() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          INSERT INTO change_log (kind, model_id) SELECT 'model', id FROM old_rows;
        ELSE
          INSERT INTO change_log (kind, model_id) SELECT 'model', id FROM new_rows;
        END IF;
        IF FOUND THEN PERFORM pg_notify('change_log', ''); END IF;
        RETURN NULL;
      END $$`);

    const statement = (table: string, fn: string, event: 'INSERT' | 'UPDATE' | 'DELETE') => {
      const tables = event === 'INSERT' ? 'NEW TABLE AS new_rows' : event === 'DELETE' ? 'OLD TABLE AS old_rows' : 'OLD TABLE AS old_rows NEW TABLE AS new_rows';
      return q.query(`CREATE TRIGGER ${table}_change_log_${event.toLowerCase()} AFTER ${event} ON ${table} REFERENCING ${tables} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
    };
    for (const event of ['INSERT', 'UPDATE', 'DELETE'] as const) await statement('lesion_embedding', 'change_log_embedding', event);
    // A new lesion has no cached view and no point until its embedding is written: inserts need no entry.
    for (const event of ['UPDATE', 'DELETE'] as const) await statement('lesion', 'change_log_lesion', event);
    for (const table of ['patient', 'study', 'series']) await statement(table, 'change_log_lesion', 'UPDATE');
    await statement('tag_state', 'change_log_tag_state', 'UPDATE');
    for (const event of ['INSERT', 'DELETE'] as const) await statement('encoder_model', 'change_log_model', event);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, events] of [
      ['lesion_embedding', ['insert', 'update', 'delete']],
      ['lesion', ['update', 'delete']],
      ['patient', ['update']],
      ['study', ['update']],
      ['series', ['update']],
      ['tag_state', ['update']],
      ['encoder_model', ['insert', 'delete']],
    ] as const) {
      for (const event of events) await q.query(`DROP TRIGGER IF EXISTS ${table}_change_log_${event} ON ${table}`);
    }
    for (const fn of ['change_log_embedding', 'change_log_lesion', 'change_log_tag_state', 'change_log_model']) await q.query(`DROP FUNCTION IF EXISTS ${fn}()`);
    await q.query(`ALTER TABLE vector_index_snapshot DROP COLUMN IF EXISTS log_position`);
    await q.query(`DROP TABLE IF EXISTS change_log`);
  }
}
