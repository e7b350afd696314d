import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lesions sharing a DeepLesion key slice are numbered by file order. The running count per key slice of
 * an unfinished import lives here, written in the transaction of each batch with its rows and cursor, so
 * the importer's memory does not grow with the file (issue 15) and a resumed import continues the same
 * numbering. Rows go when their job finishes.
 */
export class IngestKeySliceCounts1765710000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ingest_key_slice_count (
        job_id uuid NOT NULL REFERENCES ingest_job (id) ON DELETE CASCADE,
        key_slice bigint NOT NULL,
        seen int NOT NULL CHECK (seen > 0),
        PRIMARY KEY (job_id, key_slice)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ingest_key_slice_count`);
  }
}
