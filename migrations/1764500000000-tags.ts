import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Vocabulary (terms, hierarchy, exclusivity, a transitive closure for expansion), lesion tags with
 * their source and confidence, and `lesion_term`, the tags expanded to their ancestors, which tag
 * queries read by term through an index, never by scanning lesions.
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
    await q.query(`CREATE INDEX lesion_tag_term_idx ON lesion_tag (term_id) WHERE NOT rejected`);
    await q.query(`CREATE INDEX lesion_tag_source_idx ON lesion_tag (source, model_id)`);
    // What a tag query reads: every (term, lesion) a lesion matches, the term's ancestors included
    // ("liver mass" also answers "liver" and "abdomen"), with the best confidence among the tags that
    // imply it. Derived from lesion_tag and term_closure, kept in step by the triggers below, so a
    // query for a broad term is one index range in confidence order (no expansion, no aggregation).
    await q.query(`
      CREATE TABLE lesion_term (
        term_id int NOT NULL,
        lesion_id int NOT NULL,
        confidence real NOT NULL
      )`);
    await q.query(`CREATE INDEX lesion_term_rank_idx ON lesion_term (term_id, confidence DESC, lesion_id)`);
    // By lesion: the triggers' recompute, and AND queries probing a large term from a small one.
    await q.query(`CREATE INDEX lesion_term_lesion_idx ON lesion_term (lesion_id, term_id) INCLUDE (confidence)`);
    await q.query(`
      CREATE FUNCTION lesion_term_recompute(ids int[]) RETURNS void LANGUAGE sql AS $$
        DELETE FROM lesion_term WHERE lesion_id = ANY(ids);
        INSERT INTO lesion_term (term_id, lesion_id, confidence)
        SELECT c.ancestor_id, t.lesion_id, max(t.confidence)
        FROM lesion_tag t JOIN term_closure c ON c.descendant_id = t.term_id
        WHERE t.lesion_id = ANY(ids) AND NOT t.rejected
        GROUP BY c.ancestor_id, t.lesion_id;
      $$`);
    // After a vocabulary change (the closure moved) or a bulk load with triggers off.
    await q.query(`
      CREATE FUNCTION lesion_term_rebuild() RETURNS void LANGUAGE sql AS $$
        TRUNCATE lesion_term;
        INSERT INTO lesion_term (term_id, lesion_id, confidence)
        SELECT c.ancestor_id, t.lesion_id, max(t.confidence)
        FROM lesion_tag t JOIN term_closure c ON c.descendant_id = t.term_id
        WHERE NOT t.rejected
        GROUP BY c.ancestor_id, t.lesion_id;
      $$`);
    await q.query(`
      CREATE FUNCTION lesion_term_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          PERFORM lesion_term_recompute(ARRAY(SELECT DISTINCT lesion_id FROM new_rows));
        ELSIF TG_OP = 'DELETE' THEN
          PERFORM lesion_term_recompute(ARRAY(SELECT DISTINCT lesion_id FROM old_rows));
        ELSE
          PERFORM lesion_term_recompute(ARRAY(SELECT lesion_id FROM new_rows UNION SELECT lesion_id FROM old_rows));
        END IF;
        RETURN NULL;
      END $$`);
    // One statement-level trigger per event (transition tables allow only one event per trigger).
    await q.query(`CREATE TRIGGER lesion_term_on_insert AFTER INSERT ON lesion_tag REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION lesion_term_sync()`);
    await q.query(`CREATE TRIGGER lesion_term_on_update AFTER UPDATE ON lesion_tag REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION lesion_term_sync()`);
    await q.query(`CREATE TRIGGER lesion_term_on_delete AFTER DELETE ON lesion_tag REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION lesion_term_sync()`);
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
    for (const table of ['tag_prediction_run', 'tag_state', 'lesion_report', 'lesion_term', 'lesion_tag', 'term_closure', 'term_exclusive', 'term_parent', 'vocabulary_term']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS lesion_term_sync()`);
    await q.query(`DROP FUNCTION IF EXISTS lesion_term_rebuild()`);
    await q.query(`DROP FUNCTION IF EXISTS lesion_term_recompute(int[])`);
  }
}
