import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { consolidateFeedback, lesionKey } from '../../src/ml/projection/feedback-pairs';
import { FeedbackRepository } from '../../src/search/feedback.repository';
import { createTestDatabase, TestDatabase } from '../helpers/database';

/** The SQL that hands curators' marks to `train projection --labels feedback`, on real PostgreSQL. */
describe('feedback marks for training (medium)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let repository: FeedbackRepository;
  /** dataset → patient index → lesion id (one series, key slice 30 + patient, two lesions in the image). */
  const ids = new Map<string, number[][]>();

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await new DataSource(dataSourceOptions(database.url, false)).initialize();
    await db.runMigrations();
    repository = new FeedbackRepository(db);
    for (const dataset of ['a', 'b']) {
      const byPatient: number[][] = [];
      for (let p = 1; p <= 3; p++) {
        const [{ id: patientId }] = await db.query(`INSERT INTO patient (dataset, patient_index) VALUES ($1, $2) RETURNING id`, [dataset, p]);
        const [{ id: studyId }] = await db.query(`INSERT INTO study (patient_id, study_index) VALUES ($1, 2) RETURNING id`, [patientId]);
        const [{ id: seriesId }] = await db.query(`INSERT INTO series (study_id, series_index) VALUES ($1, 3) RETURNING id`, [studyId]);
        const lesions: number[] = [];
        for (let k = 0; k < 2; k++) {
          const [{ id }] = await db.query(
            `INSERT INTO lesion (series_id, study_id, patient_id, key_slice_index, lesion_in_image, box_x1, box_y1, box_x2, box_y2, coarse_type, possibly_noisy,
                                 source_file_name, image_path, image_encoding)
             VALUES ($1, $2, $3, $4, $5, 1, 1, 9, 9, 4, false, 'f.png', '/x/f.png', 'png16') RETURNING id`,
            [seriesId, studyId, patientId, 30 + p, k],
          );
          lesions.push(id);
        }
        byPatient[p] = lesions;
      }
      ids.set(dataset, byPatient);
    }
    const mark = (query: number, hit: number, relevant: boolean, keyId: string) =>
      db.query(`INSERT INTO search_feedback (query_lesion_id, hit_lesion_id, relevant, key_id, key_name) VALUES ($1, $2, $3, $4, $4)`, [
        query,
        hit,
        relevant,
        keyId,
      ]);
    const a = ids.get('a')!;
    const b = ids.get('b')!;
    await mark(a[1][0], a[2][1], true, 'k1');
    await mark(a[2][1], a[1][0], true, 'k2');
    await mark(a[1][0], a[3][0], false, 'k1');
    await mark(b[1][1], b[2][0], false, 'k1');
    await mark(a[1][1], b[3][0], true, 'k1');
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const key = (patientIndex: number, lesionInImage: number) =>
    lesionKey({ patientIndex, studyIndex: 2, seriesIndex: 3, keySliceIndex: 30 + patientIndex, lesionInImage });

  it('names both lesions of every mark by the natural key a training CSV gives them', async () => {
    const marks = await repository.trainingMarks();
    expect(marks).toHaveLength(5);
    expect(marks[0]).toEqual({ queryKey: key(1, 0), hitKey: key(2, 1), relevant: true });
    expect(marks[1]).toEqual({ queryKey: key(2, 1), hitKey: key(1, 0), relevant: true });
    expect(consolidateFeedback(marks.slice(0, 3))).toEqual([
      { aKey: key(1, 0), bKey: key(2, 1), relevant: true },
      { aKey: key(1, 0), bKey: key(3, 0), relevant: false },
    ]);
  });

  it('keeps only the marks whose two lesions are both in the named dataset', async () => {
    const inA = await repository.trainingMarks('a');
    expect(inA.map((m) => [m.queryKey, m.hitKey, m.relevant])).toEqual([
      [key(1, 0), key(2, 1), true],
      [key(2, 1), key(1, 0), true],
      [key(1, 0), key(3, 0), false],
    ]);
    expect(await repository.trainingMarks('b')).toEqual([{ queryKey: key(1, 1), hitKey: key(2, 0), relevant: false }]);
    expect(await repository.trainingMarks('none')).toEqual([]);
  });
});
