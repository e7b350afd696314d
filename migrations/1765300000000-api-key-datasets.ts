import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An API key may be limited to a set of datasets (sites): NULL sees every dataset. The bounds match
 * the API's (at most 32 names of 1-64 characters), so a row written around the API cannot exceed them.
 */
export class ApiKeyDatasets1765300000000 implements MigrationInterface {
  name = 'ApiKeyDatasets1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_key ADD COLUMN datasets text[]`);
    await q.query(`ALTER TABLE api_key ADD CONSTRAINT api_key_datasets_bounded CHECK (datasets IS NULL OR (cardinality(datasets) BETWEEN 1 AND 32 AND array_position(datasets, NULL) IS NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_key DROP COLUMN IF EXISTS datasets`);
  }
}
