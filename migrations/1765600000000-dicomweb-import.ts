import { MigrationInterface, QueryRunner } from 'typeorm';

/** PACS imports (issue 18): a job's studies found by the request, retrieved into the cache, and imported. */
export class DicomWebImport1765600000000 implements MigrationInterface {
  name = 'DicomWebImport1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ingest_job ADD COLUMN studies_found int, ADD COLUMN studies_retrieved int, ADD COLUMN studies_imported int`);
    // Priors by patient key: the pseudonyms of one key across datasets.
    await q.query(`CREATE INDEX patient_pseudonym_key_hash ON patient_pseudonym (key_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS patient_pseudonym_key_hash`);
    await q.query(`ALTER TABLE ingest_job DROP COLUMN IF EXISTS studies_found, DROP COLUMN IF EXISTS studies_retrieved, DROP COLUMN IF EXISTS studies_imported`);
  }
}
