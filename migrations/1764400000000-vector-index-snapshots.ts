import { MigrationInterface, QueryRunner } from 'typeorm';

/** Snapshots of the derived HNSW index per encoder model: file, point count and checksum. */
export class VectorIndexSnapshots1764400000000 implements MigrationInterface {
  name = 'VectorIndexSnapshots1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE vector_index_snapshot (
        id serial PRIMARY KEY,
        model_id text NOT NULL REFERENCES encoder_model(id) ON DELETE CASCADE,
        file_name text NOT NULL,
        points int NOT NULL,
        checksum text NOT NULL,
        -- Embeddings written after this instant are caught up from the database at load.
        taken_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX vector_index_snapshot_model_idx ON vector_index_snapshot (model_id, id DESC)`);
    await q.query(`CREATE INDEX lesion_embedding_model_created_idx ON lesion_embedding (model_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS lesion_embedding_model_created_idx`);
    await q.query(`DROP TABLE IF EXISTS vector_index_snapshot`);
  }
}
