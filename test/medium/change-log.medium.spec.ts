import { DataSource } from 'typeorm';
import { ChangeLogRepository } from '../../src/change-log/change-log.repository';
import { advanceCursor, LogCursor } from '../../src/change-log/cursor';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { waitFor } from '../helpers/test-app';

const MODEL = 'a'.repeat(64);

/** The triggers of migration 1764800000000 and the cursor over them, on a real PostgreSQL. */
describe('change log (medium)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let log: ChangeLogRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await new DataSource(dataSourceOptions(database.url)).initialize();
    log = new ChangeLogRepository(db);
    await db.query(`INSERT INTO encoder_model (id, name, dim, manifest) VALUES ($1, 'm', 2, '{}')`, [MODEL]);
    await db.query(`INSERT INTO patient (dataset, patient_index, sex) VALUES ('d', 1, 'F'), ('d', 2, 'M')`);
    await db.query(`INSERT INTO study (patient_id, study_index, age_years) SELECT id, 1, 50 FROM patient`);
    await db.query(`INSERT INTO series (study_id, series_index) SELECT id, 1 FROM study`);
    for (let slice = 1; slice <= 3; slice++) {
      await db.query(
        `INSERT INTO lesion (series_id, study_id, patient_id, key_slice_index, lesion_in_image, box_x1, box_y1, box_x2, box_y2, coarse_type, source_file_name, image_path, image_encoding)
         SELECT s.id, st.id, st.patient_id, $1, 0, 1, 1, 5, 5, 2, 'f.png', 'f.png', 'gray8' FROM series s JOIN study st ON st.id = s.study_id`,
        [slice],
      );
    }
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const entriesAfter = async (position: number) =>
    (await db.query(`SELECT kind, key::int AS key, model_id FROM change_log WHERE position > $1 ORDER BY position`, [position])) as {
      kind: string;
      key: number | null;
      model_id: string | null;
    }[];
  const head = async () => Number((await db.query(`SELECT coalesce(max(position), 0)::int AS p FROM change_log`))[0].p);
  const lesionIds = async () => ((await db.query(`SELECT id FROM lesion ORDER BY id`)) as { id: number }[]).map((r) => r.id);

  it('logs embeddings written, rewritten and deleted, in the same transaction', async () => {
    const start = await head();
    const [first, second] = await lesionIds();
    const labels: { label: number }[] = await db.query(
      `INSERT INTO lesion_embedding (lesion_id, model_id, vector) VALUES ($1, $3, '\\x00'), ($2, $3, '\\x00') RETURNING label::int`,
      [first, second, MODEL],
    );
    await db.query(`UPDATE lesion_embedding SET vector = '\\x01' WHERE label = $1`, [labels[0].label]);
    await db
      .transaction(async (m) => {
        await m.query(`DELETE FROM lesion_embedding WHERE label = $1`, [labels[1].label]);
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    expect(await entriesAfter(start)).toEqual([
      { kind: 'embedding', key: labels[0].label, model_id: MODEL },
      { kind: 'embedding', key: labels[1].label, model_id: MODEL },
      { kind: 'embedding', key: labels[0].label, model_id: MODEL },
    ]);
  });

  it('logs only lesion metadata that changed, including through patient and study, and deletions with their cascades', async () => {
    const ids = await lesionIds();
    let start = await head();
    // A re-import rewrites every row; unchanged values (updated_at aside) log nothing.
    await db.query(`UPDATE lesion SET coarse_type = coarse_type, updated_at = now()`);
    await db.query(`UPDATE patient SET sex = sex`);
    expect(await entriesAfter(start)).toEqual([]);
    await db.query(`UPDATE lesion SET coarse_type = 5 WHERE id = $1`, [ids[2]]);
    expect(await entriesAfter(start)).toEqual([{ kind: 'lesion', key: ids[2], model_id: null }]);
    start = await head();
    await db.query(`UPDATE study SET age_years = 51 WHERE patient_id = (SELECT patient_id FROM lesion WHERE id = $1)`, [ids[0]]);
    const ofPatient = (
      (await db.query(`SELECT id FROM lesion WHERE patient_id = (SELECT patient_id FROM lesion WHERE id = $1) ORDER BY id`, [ids[0]])) as { id: number }[]
    ).map((r) => r.id);
    expect((await entriesAfter(start)).map((e) => e.key)).toEqual(ofPatient);
    start = await head();
    const [{ label }] = await db.query(`SELECT label::int FROM lesion_embedding WHERE lesion_id = $1`, [ids[0]]);
    await db.query(`DELETE FROM lesion WHERE id = $1`, [ids[0]]);
    expect(await entriesAfter(start)).toEqual(
      expect.arrayContaining([
        { kind: 'lesion', key: ids[0], model_id: null },
        { kind: 'embedding', key: label, model_id: MODEL },
      ]),
    );
  });

  it('logs labels and vocabulary versions, once per bump', async () => {
    const start = await head();
    await db.query(`UPDATE tag_state SET value = value + 1 WHERE key = 'labels_version'`);
    await db.query(`UPDATE tag_state SET value = value + 1 WHERE key = 'vocabulary_version'`);
    expect(await entriesAfter(start)).toEqual([
      { kind: 'labels', key: null, model_id: null },
      { kind: 'vocabulary', key: null, model_id: null },
    ]);
  });

  it('never skips an entry of a transaction that commits after a later one', async () => {
    let cursor: LogCursor = await log.startCursor();
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const [lesionId] = await lesionIds();
    // The open transaction takes a position first…
    await runner.query(`UPDATE lesion SET coarse_type = 7 WHERE id = $1`, [lesionId]);
    // …a later one commits before it.
    await db.query(`UPDATE tag_state SET value = value + 1 WHERE key = 'labels_version'`);
    const first = advanceCursor(cursor, await log.read(cursor.position, cursor.gaps, 100));
    cursor = first.cursor;
    expect(first.entries.map((e) => e.kind)).toEqual(['labels']);
    expect(cursor.gaps).toHaveLength(1);
    await runner.commitTransaction();
    await runner.release();
    const second = advanceCursor(cursor, await log.read(cursor.position, cursor.gaps, 100));
    expect(second.entries.map((e) => [e.kind, e.key])).toEqual([['lesion', lesionId]]);
    expect(second.cursor.gaps).toEqual([]);
  });

  it('forgets a gap left by a rolled-back transaction once no transaction that could own it is open', async () => {
    let cursor: LogCursor = await log.startCursor();
    const [lesionId] = await lesionIds();
    await db
      .transaction(async (m) => {
        await m.query(`UPDATE lesion SET coarse_type = 6 WHERE id = $1`, [lesionId]);
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await db.query(`UPDATE tag_state SET value = value + 1 WHERE key = 'labels_version'`);
    const first = advanceCursor(cursor, await log.read(cursor.position, cursor.gaps, 100));
    expect(first.entries.map((e) => e.kind)).toEqual(['labels']);
    expect(first.cursor.gaps).toHaveLength(1);
    cursor = first.cursor;
    // The gap is dropped once the oldest open transaction (cluster-wide: other tests' too) is younger than the read that saw it.
    await waitFor(
      async () => {
        const next = advanceCursor(cursor, await log.read(cursor.position, cursor.gaps, 100));
        expect(next.entries).toEqual([]);
        cursor = next.cursor;
        return cursor.gaps.length === 0;
      },
      60_000,
      100,
    );
    expect(cursor.gaps).toEqual([]);
  });
});
