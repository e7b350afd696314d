import { MIGRATIONS } from '../../migrations';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createTestDatabase, TestDatabase } from '../helpers/database';

describe('migrations (medium)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(database.url, false)).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const tables = async () =>
    (await dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY 1`)).map(
      (r: { table_name: string }) => r.table_name,
    );

  it('creates the schema, runs idempotently, and reverts cleanly', async () => {
    await dataSource.runMigrations();
    const schema = [
      ...[
        'api_key',
        'audit_log',
        'change_log',
        'cohort',
        'cohort_version',
        'detection_job',
        'encoder_model',
        'ingest_job',
        'ingest_key_slice_count',
        'lesion',
        'lesion_embedding',
        'lesion_report',
        'lesion_tag',
        'lesion_term',
      ],
      ...['lesion_track', 'lesion_track_build', 'lesion_track_point'],
      ...[
        'patient',
        'patient_pseudonym',
        'search_feedback',
        'series',
        'study',
        'tag_prediction_run',
        'tag_state',
        'term_closure',
        'term_exclusive',
        'term_parent',
        'track_decision',
        'vector_index_snapshot',
        'vocabulary_term',
      ],
    ];
    expect(await tables()).toEqual(schema);
    expect(await dataSource.runMigrations()).toEqual([]);
    for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration();
    expect(await tables()).toEqual([]);
    await dataSource.runMigrations();
    expect(await tables()).toEqual(schema);
  });

  it('indexes every list filter and enforces the natural keys', async () => {
    const indexes: string[] = (await dataSource.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'lesion'`)).map(
      (r: { indexname: string }) => r.indexname,
    );
    for (const name of [
      'lesion_coarse_type_idx',
      'lesion_split_idx',
      'lesion_long_axis_mm_idx',
      'lesion_patient_idx',
      'lesion_study_idx',
      'lesion_natural_key',
    ]) {
      expect(indexes).toContain(name);
    }
    await dataSource.query(`INSERT INTO patient (dataset, patient_index, sex) VALUES ('d', 1, 'F')`);
    await expect(dataSource.query(`INSERT INTO patient (dataset, patient_index, sex) VALUES ('d', 1, 'M')`)).rejects.toThrow(/patient_natural_key/);
    await expect(dataSource.query(`INSERT INTO patient (dataset, patient_index, sex) VALUES ('d', 2, 'X')`)).rejects.toThrow(/check constraint/);
  });

  it('keeps one pseudonym per (dataset, key hash) and one key hash per (dataset, index)', async () => {
    const hash = (c: string) => c.repeat(64);
    await dataSource.query(`INSERT INTO patient_pseudonym (dataset, key_hash, patient_index) VALUES ('d', $1, 1)`, [hash('a')]);
    await expect(dataSource.query(`INSERT INTO patient_pseudonym (dataset, key_hash, patient_index) VALUES ('d', $1, 2)`, [hash('a')])).rejects.toThrow(
      /patient_pseudonym_key/,
    );
    await expect(dataSource.query(`INSERT INTO patient_pseudonym (dataset, key_hash, patient_index) VALUES ('d', $1, 1)`, [hash('b')])).rejects.toThrow(
      /patient_pseudonym_index/,
    );
    await expect(dataSource.query(`INSERT INTO patient_pseudonym (dataset, key_hash, patient_index) VALUES ('d', 'Jane Doe', 3)`)).rejects.toThrow(
      /check constraint/,
    );
    await dataSource.query(`INSERT INTO patient_pseudonym (dataset, key_hash, patient_index) VALUES ('e', $1, 1)`, [hash('a')]);
  });
});
