import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lesion growth: study dates (only where an archive has them: DICOM dates shifted consistently per
 * patient, the built-in sample's dates; DeepLesion has none), lesion tracks (the same lesion across a
 * patient's studies, proposed automatically and rebuilt freely) and curators' decisions on them (kept:
 * an automatic run applies them as constraints and never overwrites them).
 */
export class GrowthTracks1764850000000 implements MigrationInterface {
  name = 'GrowthTracks1764850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE study ADD COLUMN study_date date`);
    await q.query(`
      CREATE TABLE lesion_track (
        id serial PRIMARY KEY,
        patient_id int NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
        built_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX lesion_track_patient ON lesion_track (patient_id)`);
    await q.query(`
      CREATE TABLE lesion_track_point (
        track_id int NOT NULL REFERENCES lesion_track(id) ON DELETE CASCADE,
        position int NOT NULL CHECK (position >= 0),
        lesion_id int NOT NULL UNIQUE REFERENCES lesion(id) ON DELETE CASCADE,
        -- The link from the previous point (null on the first point).
        link_score real,
        link_confidence real CHECK (link_confidence BETWEEN 0 AND 1),
        link_decided_by text CHECK (link_decided_by IN ('auto', 'curator')),
        PRIMARY KEY (track_id, position)
      )`);
    // What each patient's tracks were built from: a different lesion count means they are stale.
    await q.query(`
      CREATE TABLE lesion_track_build (
        patient_id int PRIMARY KEY REFERENCES patient(id) ON DELETE CASCADE,
        lesion_count int NOT NULL,
        built_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE track_decision (
        id serial PRIMARY KEY,
        patient_id int NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
        action text NOT NULL CHECK (action IN ('confirm', 'split', 'merge', 'unlink')),
        kind text NOT NULL CHECK (kind IN ('must', 'cannot', 'alone')),
        from_lesion_id int NOT NULL REFERENCES lesion(id) ON DELETE CASCADE,
        to_lesion_id int REFERENCES lesion(id) ON DELETE CASCADE,
        decided_by text,
        decided_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'alone') = (to_lesion_id IS NULL))
      )`);
    await q.query(`CREATE INDEX track_decision_patient ON track_decision (patient_id)`);
    await q.query(`CREATE UNIQUE INDEX track_decision_link ON track_decision (kind, from_lesion_id, coalesce(to_lesion_id, 0))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS track_decision`);
    await q.query(`DROP TABLE IF EXISTS lesion_track_build`);
    await q.query(`DROP TABLE IF EXISTS lesion_track_point`);
    await q.query(`DROP TABLE IF EXISTS lesion_track`);
    await q.query(`ALTER TABLE study DROP COLUMN IF EXISTS study_date`);
  }
}
