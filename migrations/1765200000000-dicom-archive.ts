import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DICOM archive ingest (issue 16): pseudonyms per dataset (a keyed hash of issuer + Patient ID, never the
 * ID itself), and the series attributes an archive states (modality, body part, reconstruction kernel).
 */
export class DicomArchive1765200000000 implements MigrationInterface {
  name = 'DicomArchive1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE patient_pseudonym (
        dataset text NOT NULL,
        key_hash text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
        patient_index int NOT NULL CHECK (patient_index >= 1),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT patient_pseudonym_key UNIQUE (dataset, key_hash),
        CONSTRAINT patient_pseudonym_index UNIQUE (dataset, patient_index)
      )`);
    await q.query(`ALTER TABLE ingest_job ADD COLUMN files_walked int NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE series ADD COLUMN modality text, ADD COLUMN body_part text, ADD COLUMN convolution_kernel text`);
    // Re-imports find their study and series by the (keyed-hash) UID.
    await q.query(`CREATE INDEX study_uid_idx ON study (patient_id, study_instance_uid) WHERE study_instance_uid IS NOT NULL`);
    await q.query(`CREATE INDEX series_uid_idx ON series (study_id, series_instance_uid) WHERE series_instance_uid IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS series_uid_idx`);
    await q.query(`DROP INDEX IF EXISTS study_uid_idx`);
    await q.query(`ALTER TABLE series DROP COLUMN IF EXISTS modality, DROP COLUMN IF EXISTS body_part, DROP COLUMN IF EXISTS convolution_kernel`);
    await q.query(`ALTER TABLE ingest_job DROP COLUMN IF EXISTS files_walked`);
    await q.query(`DROP TABLE IF EXISTS patient_pseudonym`);
  }
}
