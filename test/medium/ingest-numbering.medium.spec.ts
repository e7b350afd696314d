import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { parseCsv } from '../../src/deeplesion/csv';
import { parseDeepLesionCsv } from '../../src/deeplesion/deeplesion-csv.parser';
import { CheckedLesion, IngestRepository } from '../../src/ingest-jobs/ingest.repository';
import { numberWithinBatch } from '../../src/deeplesion/lesion-numbering';
import { LesionRecord } from '../../src/deeplesion/lesion-record';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { DL_HEADER, dlInfoRow, FixtureLesion } from '../helpers/fixtures';

/**
 * The DeepLesion numbering of lesions per key slice, with its running counts in PostgreSQL instead of
 * the importer's memory: batches committed one after another number a key slice's lesions as one pass
 * over the file would, a rolled-back batch leaves the counts as they were, and a finished job keeps none.
 */
describe('lesion numbering per key slice across committed batches (medium)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let repository: IngestRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await new DataSource(dataSourceOptions(database.url, false)).initialize();
    await db.runMigrations();
    repository = new IngestRepository(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  // 12 rows on 4 key slices, row r on slice r % 4: each batch of 4 holds one lesion of every slice.
  const fixture: FixtureLesion[] = Array.from({ length: 12 }, (_, r) => ({ patient: 7000 + (r % 4), study: 1, series: 1, slice: 30 }));
  const records = (): LesionRecord[] => {
    const parsed = parseDeepLesionCsv(parseCsv([DL_HEADER, ...fixture.map((l) => dlInfoRow(l))].join('\n')), { layout: 'png16' });
    expect(parsed.rows.every((row) => row.ok)).toBe(true);
    return parsed.rows.map((row) => (row.ok ? row.record : (undefined as never)));
  };
  const checked = (record: LesionRecord): CheckedLesion => ({
    record,
    imagePath: `/nowhere/${record.imageRelPath}`,
    slicesDir: null,
    imageWidth: 64,
    imageHeight: 64,
  });

  it('numbers each key slice on from the counts of earlier batches, and drops the counts when the job finishes', async () => {
    const all = records();
    // The whole-file parse numbers by file order: what the batches must reproduce.
    expect(all.map((r) => r.lesionInImage)).toEqual(fixture.map((_, r) => Math.floor(r / 4)));
    const runner = db.createQueryRunner();
    await runner.connect();
    try {
      const job = await repository.createJob(runner, {
        format: 'deeplesion',
        dataset: 'numbered',
        csvPath: 'x.csv',
        imagesDir: '/x',
        fingerprint: 'f'.repeat(64),
        totalRows: 12,
      });
      const commit = (start: number) => {
        const { numbered, counts } = numberWithinBatch(all.slice(start, start + 4));
        return repository.commitBatch(
          runner,
          'numbered',
          job.id,
          numbered.map(checked),
          { cursor: start + 4, imported: 4, skipped: 0, errors: [], keySliceCounts: counts },
          10,
        );
      };
      await commit(0);
      await commit(4);
      // A batch whose transaction fails adds nothing to the counts (here: a second job id that does not exist).
      const { numbered, counts } = numberWithinBatch(all.slice(8, 12));
      const missingJob = '00000000-0000-4000-8000-000000000000';
      await expect(
        repository.commitBatch(
          runner,
          'numbered',
          missingJob,
          numbered.map(checked),
          { cursor: 12, imported: 4, skipped: 0, errors: [], keySliceCounts: counts },
          10,
        ),
      ).rejects.toThrow();
      expect(await db.query(`SELECT count(*)::int AS n, sum(seen)::int AS seen FROM ingest_key_slice_count WHERE job_id = $1`, [job.id])).toEqual([
        { n: 4, seen: 8 },
      ]);
      await commit(8);

      const rows: { source_row: number; lesion_in_image: number }[] = await db.query(
        `SELECT l.source_row, l.lesion_in_image FROM lesion l JOIN patient p ON p.id = l.patient_id WHERE p.dataset = 'numbered' ORDER BY l.source_row`,
      );
      expect(rows.map((r) => [r.source_row, r.lesion_in_image])).toEqual(all.map((r) => [r.sourceRow, r.lesionInImage]));
      await repository.finishJob(job.id, 'completed', null, runner);
      expect(await db.query(`SELECT count(*)::int AS n FROM ingest_key_slice_count`)).toEqual([{ n: 0 }]);
    } finally {
      await runner.release();
    }
  });
});
