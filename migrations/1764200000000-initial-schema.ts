import { MigrationInterface, QueryRunner } from 'typeorm';

/** Archive model (patients → studies → series → lesions), API keys, audit log, ingest jobs. */
export class InitialSchema1764200000000 implements MigrationInterface {
  name = 'InitialSchema1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE patient (
        id serial PRIMARY KEY,
        dataset text NOT NULL,
        patient_index int NOT NULL,
        sex char(1) CHECK (sex IN ('M','F')),
        CONSTRAINT patient_natural_key UNIQUE (dataset, patient_index)
      )`);
    await q.query(`CREATE INDEX patient_sex_idx ON patient (sex)`);
    await q.query(`
      CREATE TABLE study (
        id serial PRIMARY KEY,
        patient_id int NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
        study_index int NOT NULL,
        age_years real CHECK (age_years >= 0 AND age_years < 150),
        study_instance_uid text,
        CONSTRAINT study_natural_key UNIQUE (patient_id, study_index)
      )`);
    await q.query(`CREATE INDEX study_age_idx ON study (age_years)`);
    await q.query(`
      CREATE TABLE series (
        id serial PRIMARY KEY,
        study_id int NOT NULL REFERENCES study(id) ON DELETE CASCADE,
        series_index int NOT NULL,
        spacing_x_mm real CHECK (spacing_x_mm > 0),
        spacing_y_mm real CHECK (spacing_y_mm > 0),
        spacing_z_mm real CHECK (spacing_z_mm > 0),
        image_width int,
        image_height int,
        slice_first int,
        slice_last int,
        series_instance_uid text,
        slices_dir text,
        CONSTRAINT series_natural_key UNIQUE (study_id, series_index)
      )`);
    await q.query(`
      CREATE TABLE lesion (
        id serial PRIMARY KEY,
        series_id int NOT NULL REFERENCES series(id) ON DELETE CASCADE,
        study_id int NOT NULL REFERENCES study(id) ON DELETE CASCADE,
        patient_id int NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
        key_slice_index int NOT NULL,
        lesion_in_image int NOT NULL,
        box_x1 real NOT NULL, box_y1 real NOT NULL, box_x2 real NOT NULL, box_y2 real NOT NULL,
        recist real[],
        long_axis_px real, short_axis_px real,
        long_axis_mm real, short_axis_mm real,
        location_x real, location_y real, location_z real,
        coarse_type smallint NOT NULL CHECK (coarse_type = -1 OR coarse_type BETWEEN 1 AND 8),
        possibly_noisy boolean NOT NULL DEFAULT false,
        split smallint CHECK (split IN (1,2,3)),
        window_low real, window_high real,
        source_file_name text NOT NULL,
        source_row int,
        image_path text NOT NULL,
        image_encoding text NOT NULL CHECK (image_encoding IN ('png16','gray8')),
        image_hu_low real, image_hu_high real,
        sop_instance_uid text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT lesion_box_valid CHECK (box_x2 > box_x1 AND box_y2 > box_y1),
        CONSTRAINT lesion_natural_key UNIQUE (series_id, key_slice_index, lesion_in_image)
      )`);
    // One index per list filter; the planner combines them with bitmap scans.
    await q.query(`CREATE INDEX lesion_coarse_type_idx ON lesion (coarse_type, id)`);
    await q.query(`CREATE INDEX lesion_split_idx ON lesion (split, id)`);
    await q.query(`CREATE INDEX lesion_long_axis_mm_idx ON lesion (long_axis_mm)`);
    await q.query(`CREATE INDEX lesion_patient_idx ON lesion (patient_id)`);
    await q.query(`CREATE INDEX lesion_study_idx ON lesion (study_id)`);
    await q.query(`CREATE INDEX lesion_noisy_idx ON lesion (id) WHERE possibly_noisy`);
    await q.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        prefix text NOT NULL UNIQUE,
        secret_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('reader','curator','admin')),
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        last_used_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        api_key_id uuid REFERENCES api_key(id) ON DELETE SET NULL,
        method text NOT NULL,
        route text NOT NULL,
        status smallint NOT NULL,
        query_hash text,
        duration_ms int NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_log_at_idx ON audit_log (at DESC)`);
    await q.query(`CREATE INDEX audit_log_key_idx ON audit_log (api_key_id, at DESC)`);
    await q.query(`
      CREATE TABLE ingest_job (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        format text NOT NULL,
        dataset text NOT NULL,
        csv_path text NOT NULL,
        images_dir text NOT NULL,
        fingerprint text NOT NULL,
        status text NOT NULL CHECK (status IN ('running','completed','failed','interrupted')),
        total_rows int NOT NULL,
        cursor int NOT NULL DEFAULT 0,
        imported_rows int NOT NULL DEFAULT 0,
        skipped_rows int NOT NULL DEFAULT 0,
        errors jsonb NOT NULL DEFAULT '[]',
        message text,
        started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX ingest_job_resume_idx ON ingest_job (fingerprint, status)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['ingest_job', 'audit_log', 'api_key', 'lesion', 'series', 'study', 'patient']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
