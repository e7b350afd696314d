import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Curators' relevance feedback on similar-lesion hits: (query lesion, hit lesion, relevant?) with the API
 * key that said so and when; a curator's later answer on the same pair replaces the earlier one.
 * Training pairs for a fitted projection (issue 19).
 */
export class SearchFeedback1764900000000 implements MigrationInterface {
  name = 'SearchFeedback1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE search_feedback (
        id serial PRIMARY KEY,
        query_lesion_id int NOT NULL REFERENCES lesion(id) ON DELETE CASCADE,
        hit_lesion_id int NOT NULL REFERENCES lesion(id) ON DELETE CASCADE,
        relevant boolean NOT NULL,
        key_id text NOT NULL,
        key_name text NOT NULL,
        model_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (query_lesion_id, hit_lesion_id, key_id),
        CHECK (query_lesion_id <> hit_lesion_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS search_feedback`);
  }
}
