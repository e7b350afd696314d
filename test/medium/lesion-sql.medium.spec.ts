import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { LesionFilter, LesionsRepository } from '../../src/lesions/lesions.repository';
import { createTestDatabase, TestDatabase } from '../helpers/database';

/** A seeded lesion as the test knows it: the truth the repository's SQL is compared with. */
interface Seeded {
  id: number;
  dataset: string;
  patientIndex: number;
  sex: 'M' | 'F';
  studyIndex: number;
  age: number;
  coarseType: number;
  split: number;
  longMm: number;
  noisy: boolean;
}

/**
 * The repositories' SQL on real PostgreSQL, below the e2e tier: the lesion list's filters and
 * pagination, and the triggers that keep lesion_term (tags expanded through the term closure) in step.
 */
describe('lesion SQL on PostgreSQL (medium)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let lesions: LesionsRepository;
  const seeded: Seeded[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await new DataSource(dataSourceOptions(database.url, false)).initialize();
    await db.runMigrations();
    lesions = new LesionsRepository(db);
    // 2 datasets × 6 patients × 2 studies × 2 lesions, attributes cycling so every filter splits them.
    for (const dataset of ['a', 'b']) {
      for (let p = 1; p <= 6; p++) {
        const sex = p % 2 ? 'M' : 'F';
        const [{ id: patientId }] = await db.query(`INSERT INTO patient (dataset, patient_index, sex) VALUES ($1, $2, $3) RETURNING id`, [dataset, p, sex]);
        for (let s = 1; s <= 2; s++) {
          const age = 20 + p * 8 + s;
          const [{ id: studyId }] = await db.query(`INSERT INTO study (patient_id, study_index, age_years) VALUES ($1, $2, $3) RETURNING id`, [
            patientId,
            s,
            age,
          ]);
          const [{ id: seriesId }] = await db.query(`INSERT INTO series (study_id, series_index, spacing_x_mm) VALUES ($1, 1, 0.7) RETURNING id`, [studyId]);
          for (let k = 0; k < 2; k++) {
            const n = seeded.length;
            const row = { coarseType: (n % 8) + 1, split: (n % 3) + 1, longMm: 5 + ((n * 7) % 40), noisy: n % 5 === 0 };
            const [{ id }] = await db.query(
              `INSERT INTO lesion (series_id, study_id, patient_id, key_slice_index, lesion_in_image, box_x1, box_y1, box_x2, box_y2, long_axis_mm, coarse_type, possibly_noisy, split, source_file_name, image_path, image_encoding)
               VALUES ($1, $2, $3, 10, $4, 1, 1, 9, 9, $5, $6, $7, $8, 'f.png', '/x/f.png', 'png16') RETURNING id`,
              [seriesId, studyId, patientId, k, row.longMm, row.coarseType, row.noisy, row.split],
            );
            seeded.push({ id, dataset, patientIndex: p, sex, studyIndex: s, age, ...row });
          }
        }
      }
    }
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const ids = (rows: { id: number }[]) => rows.map((r) => r.id).sort((x, y) => x - y);
  const expectFilter = async (filter: LesionFilter, keep: (l: Seeded) => boolean) => {
    const page = await lesions.page(filter, 0, 500);
    const truth = seeded.filter(keep);
    expect(truth.length).toBeGreaterThan(0);
    expect(truth.length).toBeLessThan(seeded.length);
    expect({ total: page.total, ids: ids(page.items) }).toEqual({ total: truth.length, ids: ids(truth) });
  };

  it('applies each filter, and several together, exactly as the seeded truth says', async () => {
    await expectFilter({ coarseTypes: [2, 5] }, (l) => l.coarseType === 2 || l.coarseType === 5);
    await expectFilter({ sex: 'F' }, (l) => l.sex === 'F');
    // Bounds on seeded values, so an off-by-one comparison shows.
    await expectFilter({ ageMin: 37, ageMax: 54 }, (l) => l.age >= 37 && l.age <= 54);
    await expectFilter({ diameterMinMm: 12, diameterMaxMm: 30 }, (l) => l.longMm >= 12 && l.longMm <= 30);
    await expectFilter({ splits: [1, 3] }, (l) => l.split !== 2);
    await expectFilter({ noisy: true }, (l) => l.noisy);
    await expectFilter({ noisy: false }, (l) => !l.noisy);
    await expectFilter({ datasets: ['b'], patientIndex: 3, studyIndex: 2 }, (l) => l.dataset === 'b' && l.patientIndex === 3 && l.studyIndex === 2);
    await expectFilter({ sex: 'M', splits: [1], ageMin: 30, datasets: ['a'] }, (l) => l.sex === 'M' && l.split === 1 && l.age >= 30 && l.dataset === 'a');
  });

  it('pages in id order without gaps or repeats, with the total of the whole filter', async () => {
    const truth = ids(seeded.filter((l) => l.sex === 'M'));
    const seen: number[] = [];
    for (let offset = 0; offset < truth.length; offset += 5) {
      const page = await lesions.page({ sex: 'M' }, offset, 5);
      expect(page.total).toBe(truth.length);
      seen.push(...page.items.map((l) => l.id));
    }
    expect(seen).toEqual(truth);
    expect((await lesions.page({ sex: 'M' }, truth.length, 5)).items).toEqual([]);
  });

  it('keeps lesion_term equal to the tags expanded through the closure, on insert, rejection and delete', async () => {
    // abdomen ⊃ liver ⊃ liver mass, and an unrelated term; the closure as the vocabulary writes it.
    const term = async (name: string) =>
      (await db.query(`INSERT INTO vocabulary_term (name, term_class, origin) VALUES ($1, 'bodypart', 'test') RETURNING id`, [name]))[0].id as number;
    const [abdomen, liver, mass, lung] = [await term('abdomen'), await term('liver'), await term('liver mass'), await term('lung')];
    const closure = [
      [abdomen, abdomen, 0],
      [liver, liver, 0],
      [mass, mass, 0],
      [lung, lung, 0],
      [abdomen, liver, 1],
      [abdomen, mass, 2],
      [liver, mass, 1],
    ];
    for (const [a, d, depth] of closure) await db.query(`INSERT INTO term_closure (ancestor_id, descendant_id, depth) VALUES ($1, $2, $3)`, [a, d, depth]);
    const [x, y] = seeded;
    const expanded = async () =>
      (await db.query(`SELECT lesion_id, term_id, round(confidence::numeric, 2)::float AS c FROM lesion_term WHERE lesion_id = ANY($1) ORDER BY 1, 2`, [
        [x.id, y.id],
      ])) as { lesion_id: number; term_id: number; c: number }[];
    const row = (lesionId: number, termId: number, c: number) => ({ lesion_id: lesionId, term_id: termId, c });
    const byTerm = (rows: ReturnType<typeof row>[]) => rows.sort((p, q) => p.lesion_id - q.lesion_id || p.term_id - q.term_id);

    // One statement, two lesions, two sources: each ancestor once per lesion, with the best confidence.
    await db.query(
      `INSERT INTO lesion_tag (lesion_id, term_id, source, confidence) VALUES ($1, $3, 'report_mined', 0.6), ($1, $4, 'curator', 0.9), ($2, $5, 'predicted', 0.4)`,
      [x.id, y.id, mass, liver, lung],
    );
    expect(await expanded()).toEqual(byTerm([row(x.id, abdomen, 0.9), row(x.id, liver, 0.9), row(x.id, mass, 0.6), row(y.id, lung, 0.4)]));
    // A rejected tag stops implying its ancestors; the other tag still implies its own.
    await db.query(`UPDATE lesion_tag SET rejected = true WHERE lesion_id = $1 AND term_id = $2`, [x.id, liver]);
    expect(await expanded()).toEqual(byTerm([row(x.id, abdomen, 0.6), row(x.id, liver, 0.6), row(x.id, mass, 0.6), row(y.id, lung, 0.4)]));
    await db.query(`DELETE FROM lesion_tag WHERE lesion_id = $1 AND term_id = $2`, [x.id, mass]);
    expect(await expanded()).toEqual([row(y.id, lung, 0.4)]);
  });

  it('pages a tag query by score within the structured filter', async () => {
    const [{ id: liver }] = await db.query(`SELECT id FROM vocabulary_term WHERE name = 'liver'`);
    const tagged = seeded.filter((l) => l.dataset === 'a').slice(0, 8);
    for (const [i, l] of tagged.entries())
      await db.query(`INSERT INTO lesion_tag (lesion_id, term_id, source, confidence) VALUES ($1, $2, 'report_label', $3)`, [l.id, liver, 0.1 + i / 10]);
    const tagSql = `SELECT lesion_id, confidence AS score FROM lesion_term WHERE term_id = ${Number(liver)}`;
    const page = await lesions.page({ sex: 'F' }, 0, 500, tagSql);
    const truth = tagged.filter((l) => l.sex === 'F').reverse(); // later ones carry the higher confidence
    expect(page.total).toBe(truth.length);
    expect(page.items.map((l) => l.id)).toEqual(truth.map((l) => l.id));
    expect(page.scores).toEqual([...page.scores!].sort((p, q) => q - p));
    const all = await lesions.page({}, 2, 3, tagSql);
    expect(all.total).toBe(tagged.length);
    expect(all.items.map((l) => l.id)).toEqual(
      [...tagged]
        .reverse()
        .slice(2, 5)
        .map((l) => l.id),
    );
  });
});
