import { DataSource } from 'typeorm';
import { covers } from '../helpers/route-coverage';
import { bearer, createSampleApp, SampleApp } from '../helpers/test-app';

describe('cohorts: saved definitions, counts, versions, streamed export (e2e)', () => {
  let t: SampleApp;
  let reader: string;
  let curator: string;
  let db: DataSource;

  beforeAll(async () => {
    t = await createSampleApp();
    ({ reader, curator, db } = t);
  });
  afterAll(async () => t?.close());

  const count = async (sql: string, params: unknown[] = []) => (await db.query(sql, params))[0].n as number;
  const preview = (definition: object) => t.http().post('/api/v1/cohorts/preview').set(bearer(reader)).send({ definition });

  it('counts a definition live by type, sex, age band, split and size band', async () => {
    covers('POST /api/v1/cohorts/preview', 'success');
    const all = (await preview({}).expect(200)).body.counts;
    expect(all.total).toBe(await count(`SELECT count(*)::int AS n FROM lesion`));
    expect(all.byType.reduce((s: number, r: { count: number }) => s + r.count, 0)).toBe(all.total);
    expect(all.bySex.reduce((s: number, r: { count: number }) => s + r.count, 0)).toBe(all.total);
    expect(all.byAgeBand.map((r: { key: string }) => r.key)).toEqual(['<40', '40-59', '60-79', '80+', 'unknown']);
    expect(all.bySizeBand.reduce((s: number, r: { count: number }) => s + r.count, 0)).toBe(all.total);

    const lungOver40 = (await preview({ criteria: { coarseType: [5], ageMin: 40 } }).expect(200)).body.counts;
    expect(lungOver40.total).toBe(
      await count(`SELECT count(*)::int AS n FROM lesion l JOIN study s ON s.id = l.study_id WHERE l.coarse_type = 5 AND s.age_years >= 40`),
    );
    const tagged = (await preview({ tags: 'lung nodule', criteria: { split: ['train', 'test'] } }).expect(200)).body;
    expect(tagged.tags.understood).toBe('"lung nodule"');
    expect(tagged.counts.total).toBe(
      await count(
        `SELECT count(*)::int AS n FROM lesion l WHERE l.split IN (1, 3) AND EXISTS (SELECT 1 FROM lesion_term t JOIN vocabulary_term v ON v.id = t.term_id WHERE t.lesion_id = l.id AND v.name = 'lung nodule')`,
      ),
    );
  });

  it('refuses bad definitions with clear 400s', async () => {
    covers('POST /api/v1/cohorts/preview', 'bad-input');
    const message = async (res: Promise<{ body: { message: string | string[] } }>) => [(await res).body.message].flat().join('; ');
    expect(await message(preview({ criteria: { ageMin: 70, ageMax: 60 } }).expect(400))).toMatch(/ageMin must not exceed ageMax/);
    expect(await message(preview({ criteria: { coarseType: [9] } }).expect(400))).toMatch(/coarseType must be -1 or 1\.\.8/);
    expect(await message(preview({ criteria: { bogus: 1 } }).expect(400))).toMatch(/property bogus should not exist/);
    expect(await message(preview({ tags: 'xyzzy' }).expect(400))).toMatch(/No known term/);
    expect(await message(preview({ similarTo: { lesionId: 999999, minSimilarity: 0.5 } }).expect(404))).toMatch(/Lesion 999999 is not in the similarity index/);
    expect(await message(t.http().post('/api/v1/cohorts/preview').set(bearer(reader)).send({}).expect(400))).toMatch(/definition/);
  });

  it('saves, re-runs and versions a cohort; readers cannot save', async () => {
    covers('POST /api/v1/cohorts', 'success');
    covers('GET /api/v1/cohorts/{id}', 'success');
    covers('PUT /api/v1/cohorts/{id}', 'success');
    const definition = { criteria: { coarseType: [4, 5] }, tags: 'NOT cyst' };
    await t.http().post('/api/v1/cohorts').set(bearer(reader)).send({ name: 'x', definition }).expect(403);
    const created = await t.http().post('/api/v1/cohorts').set(bearer(curator)).send({ name: 'Liver and lung, no cysts', definition }).expect(201);
    const id = created.body.cohort.id;
    expect(created.body.cohort.version).toBe(1);
    expect(created.body.reproduced.sameMembers).toBe(true);
    const expected = await count(
      `SELECT count(*)::int AS n FROM lesion l WHERE l.coarse_type IN (4, 5) AND NOT EXISTS (SELECT 1 FROM lesion_term t JOIN vocabulary_term v ON v.id = t.term_id WHERE t.lesion_id = l.id AND v.name = 'cyst')`,
    );
    expect(created.body.counts.total).toBe(expected);

    const page = await t.http().get(`/api/v1/cohorts/${id}`).query({ limit: 5, offset: 5 }).set(bearer(reader)).expect(200);
    expect(page.body.members.items).toHaveLength(Math.min(5, Math.max(0, expected - 5)));
    expect(page.body.members.items.every((m: { coarseType: { code: number } }) => [4, 5].includes(m.coarseType.code))).toBe(true);

    // Version 2 narrows it; version 1 still re-runs as saved.
    const put = await t
      .http()
      .put(`/api/v1/cohorts/${id}`)
      .set(bearer(curator))
      .send({ definition: { criteria: { coarseType: [5] } } })
      .expect(200);
    expect(put.body.cohort).toMatchObject({ id, version: 2, name: 'Liver and lung, no cysts', definition: { criteria: { coarseType: [5] } } });
    expect(put.body.counts.total).toBe(await count(`SELECT count(*)::int AS n FROM lesion WHERE coarse_type = 5`));
    const v2 = await t.http().get(`/api/v1/cohorts/${id}`).set(bearer(reader)).expect(200);
    expect(v2.body.cohort.version).toBe(2);
    expect(v2.body.counts.total).toBe(await count(`SELECT count(*)::int AS n FROM lesion WHERE coarse_type = 5`));
    const v1 = await t.http().get(`/api/v1/cohorts/${id}`).query({ version: 1 }).set(bearer(reader)).expect(200);
    expect(v1.body.counts.total).toBe(expected);
    await t.http().get(`/api/v1/cohorts/${id}`).query({ version: 9 }).set(bearer(reader)).expect(404);

    // A curator tagging a lesion "cyst" changes what version 1 selects: the re-run says so.
    const [{ id: lesionId }] = await db.query(`SELECT id FROM lesion WHERE coarse_type = 5 ORDER BY id LIMIT 1`);
    await t.http().post(`/api/v1/lesions/${lesionId}/tags`).set(bearer(curator)).send({ term: 'cyst' }).expect(201);
    const rerun = await t.http().get(`/api/v1/cohorts/${id}`).query({ version: 1 }).set(bearer(reader)).expect(200);
    expect(rerun.body.reproduced).toMatchObject({ sameMembers: false, memberCount: expected - 1, labelsChanged: true });

    const list = await t.http().get('/api/v1/cohorts').set(bearer(reader)).expect(200);
    expect(list.body.find((c: { id: number }) => c.id === id)).toMatchObject({ name: 'Liver and lung, no cysts', version: 2 });
  });

  it('streams every member as CSV and JSON with metadata and tags', async () => {
    covers('GET /api/v1/cohorts/{id}/export', 'success');
    const created = await t.http().post('/api/v1/cohorts').set(bearer(curator)).send({ name: 'Everything', definition: {} }).expect(201);
    const id = created.body.cohort.id;
    const total = await count(`SELECT count(*)::int AS n FROM lesion`);
    const csv = await t.http().get(`/api/v1/cohorts/${id}/export`).query({ format: 'csv' }).set(bearer(reader)).expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="cohort-\d+-v1-everything\.csv"/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0].split(',')).toEqual(expect.arrayContaining(['lesion_id', 'coarse_type', 'sex', 'age_years', 'split', 'tags']));
    expect(lines).toHaveLength(total + 1);
    const tagsColumn = lines[0].split(',').indexOf('tags');
    expect(lines.slice(1).some((l) => l.split(',')[tagsColumn]?.includes(':coarse_type'))).toBe(true);

    const json = await t.http().get(`/api/v1/cohorts/${id}/export`).query({ format: 'json' }).set(bearer(reader)).expect(200);
    const body = JSON.parse(json.text);
    expect(body.total).toBe(total);
    expect(body.members).toHaveLength(total);
    expect(body.cohort).toMatchObject({ id, name: 'Everything', version: 1 });
    expect(body.members[0].tags[0]).toEqual({ term: expect.any(String), confidence: expect.any(Number), source: expect.any(String) });
    await t.http().get(`/api/v1/cohorts/${id}/export`).query({ format: 'xml' }).set(bearer(reader)).expect(400);
    await t.http().get('/api/v1/cohorts/99999/export').set(bearer(reader)).expect(404);
  });

  it('selects lesions similar to a lesion above a similarity, other patients only', async () => {
    const [{ id, patient_id }] = await db.query(`SELECT id, patient_id FROM lesion ORDER BY id LIMIT 1`);
    const loose = (await preview({ similarTo: { lesionId: id, minSimilarity: -1 } }).expect(200)).body;
    expect(loose.counts.total).toBe(await count(`SELECT count(*)::int AS n FROM lesion WHERE patient_id <> $1`, [patient_id]));
    const strict = (await preview({ similarTo: { lesionId: id, minSimilarity: 0.9 } }).expect(200)).body;
    expect(strict.counts.total).toBeLessThan(loose.counts.total);
    expect(strict.similarTo).toMatchObject({ lesionId: id, minSimilarity: 0.9, matched: strict.counts.total });
  });
});
