import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Encoder models and lesion embeddings. PostgreSQL is the source of truth for vectors; the HNSW
 * index is derived from these rows, keyed by `label` (an integer unique across all embeddings).
 */
export class LesionEmbeddings1764300000000 implements MigrationInterface {
  name = 'LesionEmbeddings1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE encoder_model (
        id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
        name text NOT NULL,
        dim int NOT NULL CHECK (dim > 0),
        manifest jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX encoder_model_name_idx ON encoder_model (name, created_at DESC)`);
    await q.query(`
      CREATE TABLE lesion_embedding (
        label bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        lesion_id int NOT NULL REFERENCES lesion(id) ON DELETE CASCADE,
        model_id text NOT NULL REFERENCES encoder_model(id) ON DELETE CASCADE,
        vector bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT lesion_embedding_one_per_model UNIQUE (model_id, lesion_id)
      )`);
    await q.query(`CREATE INDEX lesion_embedding_lesion_idx ON lesion_embedding (lesion_id)`);
    await q.query(`ALTER TABLE ingest_job ADD COLUMN embedded_rows int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ingest_job DROP COLUMN IF EXISTS embedded_rows`);
    await q.query(`DROP TABLE IF EXISTS lesion_embedding`);
    await q.query(`DROP TABLE IF EXISTS encoder_model`);
  }
}
