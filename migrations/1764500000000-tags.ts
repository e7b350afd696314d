import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Vocabulary (terms, hierarchy, exclusivity, a transitive closure for expansion) and lesion tags
 * with their source and confidence. Tag queries read `lesion_tag` by term through its covering
 * index, never by scanning lesions.
 */
export class Tags1764500000000 implements MigrationInterface {
  name = 'Tags1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE vocabulary_term (
        id serial PRIMARY KEY,
        name text NOT NULL UNIQUE CHECK (name = lower(btrim(name)) AND name <> ''),
        term_class text NOT NULL CHECK (term_class IN ('bodypart', 'type', 'attribute')),
        synonyms text[] NOT NULL DEFAULT '{}',
        -- Which vocabulary brought the term ('default', 'lesanet', ...).
        origin text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE term_parent (
        term_id int NOT NULL REFERENCES vocabulary_term(id) ON DELETE CASCADE,
        parent_id int NOT NULL REFERENCES vocabulary_term(id) ON DELETE CASCADE,
        PRIMARY KEY (term_id, parent_id),
        CHECK (term_id <> parent_id)
      )`);
    await q.query(`CREATE INDEX term_parent_parent_idx ON term_parent (parent_id)`);
    await q.query(`
      CREATE TABLE term_exclusive (
        term_id int NOT NULL REFERENCES vocabulary_term(id) ON DELETE CASCADE,
        other_id int NOT NULL REFERENCES vocabulary_term(id) ON DELETE CASCADE,
        PRIMARY KEY (term_id, other_id),
        CHECK (term_id <> other_id)
      )`);
    // Every (ancestor, descendant) pair including (t, t): a query term expands with one index read.
    await q.query(`
      CREATE TABLE term_closure (
        ancestor_id int NOT NULL REFERENCES vocabulary_term(id) ON DELETE CASCADE,
        descendant_id int NOT NULL REFERENCES vocabulary_term(id) ON DELETE CASCADE,
        depth int NOT NULL,
        PRIMARY KEY (ancestor_id, descendant_id)
      )`);
    await q.query(`CREATE INDEX term_closure_descendant_idx ON term_closure (descendant_id)`);
    await q.query(`
      CREATE TABLE lesion_tag (
        lesion_id int NOT NULL REFERENCES lesion(id) ON DELETE CASCADE,
        term_id int NOT NULL REFERENCES vocabulary_term(id) ON DELETE CASCADE,
        source text NOT NULL CHECK (source IN ('curator', 'report_label', 'report_mined', 'coarse_type', 'predicted')),
        confidence real NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
        -- A curator's "not this term": hides the term from queries and stops predictions re-adding it.
        rejected boolean NOT NULL DEFAULT false,
        -- Uncertain report mentions ("possibly necrotic") are kept, with a lower confidence.
        uncertain boolean NOT NULL DEFAULT false,
        -- Predicted tags: the encoder model and label version they were computed from.
        model_id text,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (lesion_id, term_id, source)
      )`);
    // The tag-query path: by term, best confidence first, lesion id for joins (index-only scans).
    await q.query(`CREATE INDEX lesion_tag_term_idx ON lesion_tag (term_id, confidence DESC, lesion_id) WHERE NOT rejected`);
    await q.query(`CREATE INDEX lesion_tag_source_idx ON lesion_tag (source, model_id)`);
    await q.query(`
      CREATE TABLE lesion_report (
        lesion_id int PRIMARY KEY REFERENCES lesion(id) ON DELETE CASCADE,
        text text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Bumped whenever labels the predictions learn from change; predictions remember the version.
    await q.query(`
      CREATE TABLE tag_state (
        key text PRIMARY KEY,
        value bigint NOT NULL
      )`);
    await q.query(`INSERT INTO tag_state (key, value) VALUES ('labels_version', 1), ('vocabulary_version', 1)`);
    await q.query(`
      CREATE TABLE tag_prediction_run (
        id serial PRIMARY KEY,
        model_id text NOT NULL,
        labels_version bigint NOT NULL,
        status text NOT NULL,
        lesions int NOT NULL DEFAULT 0,
        tags int NOT NULL DEFAULT 0,
        calibration jsonb,
        error text,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['tag_prediction_run', 'tag_state', 'lesion_report', 'lesion_tag', 'term_closure', 'term_exclusive', 'term_parent', 'vocabulary_term']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
