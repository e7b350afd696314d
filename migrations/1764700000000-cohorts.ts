import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Saved research cohorts. A definition is never edited in place: each change is a new version, and
 * each version records what it resolved to when saved (member count, a checksum of the member ids,
 * the vocabulary, label and model versions), so a published cohort can be re-run and checked.
 */
export class Cohorts1764700000000 implements MigrationInterface {
  name = 'Cohorts1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cohort (
        id serial PRIMARY KEY,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        description text,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE cohort_version (
        cohort_id int NOT NULL REFERENCES cohort(id) ON DELETE CASCADE,
        version int NOT NULL CHECK (version >= 1),
        definition jsonb NOT NULL,
        member_count int NOT NULL,
        members_md5 text NOT NULL,
        vocabulary_version bigint NOT NULL,
        labels_version bigint NOT NULL,
        model_id text,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (cohort_id, version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS cohort_version`);
    await q.query(`DROP TABLE IF EXISTS cohort`);
  }
}
