import { DataSource } from 'typeorm';
import type { Response } from 'supertest';
import { VectorIndexService } from '../../src/vector-index/vector-index.service';
import { covers } from '../helpers/route-coverage';
import { bearer, createSampleApp, SampleApp, waitFor } from '../helpers/test-app';

/**
 * Routes the feature suites try only half: each with a success whose body is checked against the
 * tables, and bad input whose status and message are checked (see test/e2e/openapi-coverage).
 */
describe('routes with good and bad input (e2e)', () => {
  let t: SampleApp;
  let reader: string;
  let curator: string;
  let db: DataSource;

  beforeAll(async () => {
    t = await createSampleApp();
    ({ reader, curator, db } = t);
  });
  afterAll(async () => t?.close());

  const sorted = <T>(values: T[]) => [...values].sort();
  const expectError = (res: Response, status: number, message: RegExp) =>
    expect({ status: res.status, message: [res.body.message].flat().join('; ') }).toEqual({ status, message: expect.stringMatching(message) });
  const api = (path: string) => `/api/v1${path}`;

  it('lists the vocabulary, whole or one class, as the tables hold it', async () => {
    covers('GET /api/v1/vocabulary/terms', 'success', 'bad-input');
    const all = (await t.http().get(api('/vocabulary/terms')).set(bearer(reader)).expect(200)).body as {
      name: string;
      termClass: string;
      parents: string[];
      synonyms: string[];
    }[];
    const rows: { name: string; term_class: string; synonyms: string[]; parents: string[] | null }[] = await db.query(
      `SELECT v.name, v.term_class, v.synonyms, array_agg(p.name ORDER BY p.name) FILTER (WHERE p.name IS NOT NULL) AS parents
         FROM vocabulary_term v LEFT JOIN term_parent tp ON tp.term_id = v.id LEFT JOIN vocabulary_term p ON p.id = tp.parent_id GROUP BY v.id`,
    );
    expect(all.length).toBe(rows.length);
    const byName = new Map(rows.map((r) => [r.name, r]));
    for (const term of all) {
      const row = byName.get(term.name)!;
      expect({ name: term.name, termClass: term.termClass, parents: sorted(term.parents), synonyms: sorted(term.synonyms) }).toEqual({
        name: row.name,
        termClass: row.term_class,
        parents: row.parents ?? [],
        synonyms: sorted(row.synonyms),
      });
    }
    const bodyparts = (await t.http().get(api('/vocabulary/terms')).query({ class: 'bodypart' }).set(bearer(reader)).expect(200)).body;
    expect(sorted(bodyparts.map((b: { name: string }) => b.name))).toEqual(sorted(rows.filter((r) => r.term_class === 'bodypart').map((r) => r.name)));
    expectError(
      await t.http().get(api('/vocabulary/terms')).query({ class: 'colour' }).set(bearer(reader)),
      400,
      /class must be one of the following values: bodypart, type, attribute/,
    );
  });

  it('answers unknown terms and bad prefixes with a 404 and 400s naming them', async () => {
    covers('GET /api/v1/vocabulary/terms/{name}', 'bad-input');
    covers('GET /api/v1/vocabulary/suggest', 'success', 'bad-input');
    expectError(await t.http().get(api('/vocabulary/terms/xyzzy')).set(bearer(reader)), 404, /"xyzzy" is not a term of the vocabulary/);
    const suggestions = (await t.http().get(api('/vocabulary/suggest')).query({ prefix: 'hypo', limit: 50 }).set(bearer(reader)).expect(200)).body as {
      term: string;
    }[];
    const [{ names }] = await db.query(`SELECT array_agg(name) AS names FROM vocabulary_term WHERE name LIKE 'hypo%'`);
    expect(suggestions.map((s) => s.term)).toEqual(expect.arrayContaining(names));
    expectError(
      await t.http().get(api('/vocabulary/suggest')).query({ prefix: '' }).set(bearer(reader)),
      400,
      /prefix must be longer than or equal to 1 characters/,
    );
    expectError(
      await t.http().get(api('/vocabulary/suggest')).query({ prefix: 'hy', limit: 51 }).set(bearer(reader)),
      400,
      /limit must not be greater than 50/,
    );
  });

  it('saves, lists and deletes cohorts; refuses bad bodies, ids and roles', async () => {
    covers('POST /api/v1/cohorts', 'bad-input');
    covers('GET /api/v1/cohorts', 'success', 'bad-input');
    covers('GET /api/v1/cohorts/{id}', 'bad-input');
    covers('PUT /api/v1/cohorts/{id}', 'bad-input');
    covers('DELETE /api/v1/cohorts/{id}', 'success', 'bad-input');
    covers('GET /api/v1/cohorts/{id}/export', 'bad-input');
    const cohorts = api('/cohorts');
    expectError(await t.http().post(cohorts).set(bearer(curator)).send({ name: '', definition: {} }), 400, /name must be longer than or equal to 1 characters/);
    expectError(await t.http().post(cohorts).set(bearer(curator)).send({ name: 'x' }), 400, /definition is required/);
    expectError(await t.http().post(cohorts).set(bearer(reader)).send({ name: 'x', definition: {} }), 403, /curator role/);
    const a = (
      await t
        .http()
        .post(cohorts)
        .set(bearer(curator))
        .send({ name: 'A', definition: { criteria: { coarseType: [4] } } })
        .expect(201)
    ).body.cohort;
    const b = (await t.http().post(cohorts).set(bearer(curator)).send({ name: 'B', definition: {} }).expect(201)).body.cohort;

    const listed = (await t.http().get(cohorts).set(bearer(reader)).expect(200)).body as { id: number; name: string; version: number }[];
    const rows: { id: number; name: string; version: number }[] = await db.query(
      `SELECT c.id, c.name, max(v.version)::int AS version FROM cohort c JOIN cohort_version v ON v.cohort_id = c.id GROUP BY c.id ORDER BY c.id`,
    );
    expect(listed.map(({ id, name, version }) => ({ id, name, version })).sort((x, y) => x.id - y.id)).toEqual(rows);
    expectError(
      await t
        .http()
        .get(cohorts)
        .set(bearer('lrs_0123456789_' + 'x'.repeat(43))),
      401,
      /valid API key is required/,
    );

    expectError(await t.http().get(`${cohorts}/999999`).set(bearer(reader)), 404, /Cohort 999999 does not exist/);
    expectError(await t.http().get(`${cohorts}/abc`).set(bearer(reader)), 400, /id must be an integer from 1 to 2147483647/);
    expectError(await t.http().get(`${cohorts}/${a.id}`).query({ version: 0 }).set(bearer(reader)), 400, /version must not be less than 1/);
    expectError(await t.http().put(`${cohorts}/999999`).set(bearer(curator)).send({ definition: {} }), 404, /Cohort 999999 does not exist/);
    expectError(
      await t
        .http()
        .put(`${cohorts}/${a.id}`)
        .set(bearer(curator))
        .send({ definition: { criteria: { ageMin: 80, ageMax: 20 } } }),
      400,
      /ageMin must not exceed ageMax/,
    );
    expectError(await t.http().put(`${cohorts}/${a.id}`).set(bearer(reader)).send({ definition: {} }), 403, /curator role/);
    expect((await db.query(`SELECT count(*)::int AS n FROM cohort_version WHERE cohort_id = $1`, [a.id]))[0].n).toBe(1);
    expectError(
      await t.http().get(`${cohorts}/${a.id}/export`).query({ format: 'xml' }).set(bearer(reader)),
      400,
      /format must be one of the following values: csv, json/,
    );
    expectError(await t.http().get(`${cohorts}/999999/export`).set(bearer(reader)), 404, /Cohort 999999 does not exist/);

    expectError(await t.http().delete(`${cohorts}/${a.id}`).set(bearer(reader)), 403, /curator role/);
    const deleted = await t.http().delete(`${cohorts}/${a.id}`).set(bearer(curator)).expect(204);
    expect(deleted.text).toBe('');
    expect(
      await db.query(`SELECT (SELECT count(*)::int FROM cohort WHERE id = $1) AS c, (SELECT count(*)::int FROM cohort_version WHERE cohort_id = $1) AS v`, [
        a.id,
      ]),
    ).toEqual([{ c: 0, v: 0 }]);
    expect((await t.http().get(`${cohorts}/${b.id}`).set(bearer(reader)).expect(200)).body.cohort.id).toBe(b.id);
    expectError(await t.http().get(`${cohorts}/${a.id}`).set(bearer(reader)), 404, new RegExp(`Cohort ${a.id} does not exist`));
    expectError(await t.http().delete(`${cohorts}/${a.id}`).set(bearer(curator)), 404, new RegExp(`Cohort ${a.id} does not exist`));
  });

  it('reports import jobs as the table holds them; refuses malformed and unknown ids', async () => {
    covers('GET /api/v1/admin/ingest/jobs', 'success', 'bad-input');
    covers('GET /api/v1/admin/ingest/jobs/{id}', 'success', 'bad-input');
    const jobs = (await t.http().get(api('/admin/ingest/jobs')).set(bearer(t.adminKey)).expect(200)).body;
    const rows = await db.query(`SELECT id, status, total_rows, imported_rows, skipped_rows FROM ingest_job ORDER BY started_at DESC`);
    expect(
      jobs.map((j: { id: string; status: string; totalRows: number; importedRows: number; skippedRows: number }) => [
        j.id,
        j.status,
        j.totalRows,
        j.importedRows,
        j.skippedRows,
      ]),
    ).toEqual(
      rows.map((r: { id: string; status: string; total_rows: number; imported_rows: number; skipped_rows: number }) => [
        r.id,
        r.status,
        r.total_rows,
        r.imported_rows,
        r.skipped_rows,
      ]),
    );
    const job = (
      await t
        .http()
        .get(api(`/admin/ingest/jobs/${rows[0].id}`))
        .set(bearer(t.adminKey))
        .expect(200)
    ).body;
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM lesion`);
    expect(job).toMatchObject({ id: rows[0].id, status: 'completed', importedRows: n, processedRows: rows[0].total_rows, percent: 100 });
    expectError(await t.http().get(api('/admin/ingest/jobs/not-a-uuid')).set(bearer(t.adminKey)), 400, /uuid is expected/);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expectError(
      await t
        .http()
        .get(api(`/admin/ingest/jobs/${unknown}`))
        .set(bearer(t.adminKey)),
      404,
      new RegExp(`No import job ${unknown}`),
    );
    expectError(await t.http().get(api('/admin/ingest/jobs')).set(bearer(curator)), 403, /admin role/);
  });

  it('searches by tags with the same answer as the tables, and refuses bad queries', async () => {
    covers('POST /api/v1/search/tags', 'success', 'bad-input');
    const res = (await t.http().post(api('/search/tags')).set(bearer(reader)).send({ q: 'liver', limit: 500 }).expect(200)).body;
    const rows: { lesion_id: number }[] = await db.query(
      `SELECT DISTINCT t.lesion_id FROM lesion_tag t JOIN term_closure c ON c.descendant_id = t.term_id JOIN vocabulary_term v ON v.id = c.ancestor_id WHERE v.name = 'liver' AND NOT t.rejected`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(res.total).toBe(rows.length);
    expect(res.items.map((i: { id: number }) => i.id).sort((x: number, y: number) => x - y)).toEqual(rows.map((r) => r.lesion_id).sort((x, y) => x - y));
    expectError(await t.http().post(api('/search/tags')).set(bearer(reader)).send({}), 400, /q is required \(a tag query\)/);
    expectError(await t.http().post(api('/search/tags')).set(bearer(reader)).send({ q: 'liver AND' }), 400, /^Tag query: /);
    expectError(await t.http().post(api('/search/tags')).set(bearer(reader)).send({ q: 'liver', limit: 0 }), 400, /limit must not be less than 1/);
  });

  it('lists follow-ups: the same patient’s lesions in other studies, best first; 404 and 400 for bad ids', async () => {
    covers('GET /api/v1/lesions/{id}/follow-ups', 'success', 'bad-input');
    const [{ id }] = await db.query(
      `SELECT l.id FROM lesion l WHERE EXISTS (SELECT 1 FROM lesion o WHERE o.patient_id = l.patient_id AND o.study_id <> l.study_id) ORDER BY l.id LIMIT 1`,
    );
    const truth: { id: number }[] = await db.query(
      `SELECT o.id FROM lesion l JOIN lesion o ON o.patient_id = l.patient_id AND o.study_id <> l.study_id JOIN lesion_embedding e ON e.lesion_id = o.id WHERE l.id = $1`,
      [id],
    );
    const followUps = (
      await t
        .http()
        .get(api(`/lesions/${id}/follow-ups`))
        .set(bearer(reader))
        .expect(200)
    ).body as { lesion: { id: number }; score: number; appearance: number }[];
    expect(followUps.map((f) => f.lesion.id).sort((x, y) => x - y)).toEqual(
      truth
        .map((r) => r.id)
        .slice(0, 20)
        .sort((x, y) => x - y),
    );
    const scores = followUps.map((f) => f.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    for (const f of followUps) expect(Math.abs(f.appearance)).toBeLessThanOrEqual(1 + 1e-6);
    expectError(await t.http().get(api('/lesions/99999999/follow-ups')).set(bearer(reader)), 404, /Lesion 99999999 not found/);
    expectError(await t.http().get(api('/lesions/abc/follow-ups')).set(bearer(reader)), 400, /id must be an integer from 1 to 2147483647/);
  });

  it('reads a lesion, its patch and its tags; refuses unknown ids, bad windows, terms and reports', async () => {
    covers('GET /api/v1/lesions/{id}', 'bad-input');
    covers('GET /api/v1/lesions/{id}/patch.png', 'bad-input');
    covers('GET /api/v1/lesions/{id}/tags', 'success', 'bad-input');
    covers('POST /api/v1/lesions/{id}/tags', 'bad-input');
    covers('DELETE /api/v1/lesions/{id}/tags/{term}', 'bad-input');
    covers('POST /api/v1/lesions/{id}/report', 'bad-input');
    const [{ id }] = await db.query(`SELECT id FROM lesion WHERE coarse_type = 4 ORDER BY id LIMIT 1`);
    expectError(await t.http().get(api('/lesions/99999999')).set(bearer(reader)), 404, /Lesion 99999999 not found/);
    expectError(await t.http().get(api('/lesions/abc')).set(bearer(reader)), 400, /id must be an integer from 1 to 2147483647/);
    expectError(
      await t
        .http()
        .get(api(`/lesions/${id}/patch.png`))
        .query({ window: 'purple' })
        .set(bearer(reader)),
      400,
      /window/,
    );
    expectError(
      await t
        .http()
        .get(api(`/lesions/${id}/patch.png`))
        .query({ size: 4096 })
        .set(bearer(reader)),
      400,
      /size must not be greater than/,
    );

    const tags = (
      await t
        .http()
        .get(api(`/lesions/${id}/tags`))
        .set(bearer(reader))
        .expect(200)
    ).body;
    const stored: { name: string }[] = await db.query(
      `SELECT DISTINCT v.name FROM lesion_tag t JOIN vocabulary_term v ON v.id = t.term_id WHERE t.lesion_id = $1 AND NOT t.rejected`,
      [id],
    );
    expect(sorted(tags.tags.map((tag: { term: string }) => tag.term))).toEqual(sorted(stored.map((s) => s.name)));
    expectError(await t.http().get(api('/lesions/99999999/tags')).set(bearer(reader)), 404, /Lesion 99999999 does not exist/);

    const before = await db.query(`SELECT term_id, source, rejected FROM lesion_tag WHERE lesion_id = $1 ORDER BY 1, 2`, [id]);
    expectError(
      await t
        .http()
        .post(api(`/lesions/${id}/tags`))
        .set(bearer(curator))
        .send({ term: '' }),
      400,
      /term must be longer than or equal to 1 characters/,
    );
    expectError(
      await t
        .http()
        .delete(api(`/lesions/${id}/tags/spicul`))
        .set(bearer(curator)),
      400,
      /"spicul" is not a term of the vocabulary/,
    );
    expectError(await t.http().delete(api('/lesions/99999999/tags/liver')).set(bearer(curator)), 404, /Lesion 99999999 does not exist/);
    expectError(
      await t
        .http()
        .delete(api(`/lesions/${id}/tags/liver`))
        .set(bearer(reader)),
      403,
      /curator role/,
    );
    expectError(
      await t
        .http()
        .post(api(`/lesions/${id}/report`))
        .set(bearer(curator))
        .send({ text: '' }),
      400,
      /text must be longer than or equal to 1 characters/,
    );
    expectError(
      await t
        .http()
        .post(api(`/lesions/${id}/report`))
        .set(bearer(curator))
        .send({ text: 'x'.repeat(10_001) }),
      400,
      /text must be shorter than or equal to 10000 characters/,
    );
    expectError(await t.http().post(api('/lesions/99999999/report')).set(bearer(curator)).send({ text: 'Liver cyst.' }), 404, /Lesion 99999999 does not exist/);
    // Nothing refused changed the lesion's tags.
    expect(await db.query(`SELECT term_id, source, rejected FROM lesion_tag WHERE lesion_id = $1 ORDER BY 1, 2`, [id])).toEqual(before);
  });

  it('deletes a lesion only for an admin, and answers 404 for an unknown one', async () => {
    covers('DELETE /api/v1/lesions/{id}', 'bad-input');
    const [{ id }] = await db.query(`SELECT id FROM lesion ORDER BY id DESC LIMIT 1`);
    expectError(
      await t
        .http()
        .delete(api(`/lesions/${id}`))
        .set(bearer(curator)),
      403,
      /admin role/,
    );
    expectError(await t.http().delete(api('/lesions/99999999')).set(bearer(t.adminKey)), 404, /Lesion 99999999 not found/);
    expect((await db.query(`SELECT count(*)::int AS n FROM lesion WHERE id = $1`, [id]))[0].n).toBe(1);
  });

  it('starts tag prediction with 202 and its status, and the finished run agrees with the tables', async () => {
    covers('POST /api/v1/admin/tags/predict', 'success', 'bad-input');
    covers('GET /api/v1/admin/tags/predict', 'success', 'bad-input');
    const [{ value: labelsVersion }] = await db.query(`SELECT value::int AS value FROM tag_state WHERE key = 'labels_version'`);
    const modelId = (await t.http().get('/health/ready').expect(200)).body.info.encoder.modelId;
    const started = await t.http().post(api('/admin/tags/predict')).set(bearer(t.adminKey)).expect(202);
    expect(started.body).toMatchObject({ current: { modelId, labelsVersion }, running: expect.any(Boolean), stale: expect.any(Boolean) });
    const done = await waitFor(async () => {
      const s = (await t.http().get(api('/admin/tags/predict')).set(bearer(t.adminKey)).expect(200)).body;
      return s.latest?.status === 'done' && !s.running ? s : null;
    });
    const [run] = await db.query(`SELECT id, status, tags, lesions, labels_version::int AS labels_version FROM tag_prediction_run ORDER BY id DESC LIMIT 1`);
    const [{ n: predicted }] = await db.query(`SELECT count(*)::int AS n FROM lesion_tag WHERE source = 'predicted'`);
    expect(done).toMatchObject({
      stale: false,
      current: { modelId, labelsVersion },
      latest: { id: run.id, status: 'done', modelId, labelsVersion, tags: predicted, lesions: run.lesions },
    });
    expectError(await t.http().post(api('/admin/tags/predict')).set(bearer(curator)), 403, /admin role/);
    expectError(await t.http().get(api('/admin/tags/predict')).set(bearer(reader)), 403, /admin role/);
  });

  it('refuses imports without a file, or with a file that is not what the route reads, changing nothing', async () => {
    covers('POST /api/v1/admin/vocabulary/import', 'bad-input');
    covers('POST /api/v1/admin/tags/import-labels', 'bad-input');
    const terms = await db.query(`SELECT count(*)::int AS n FROM vocabulary_term`);
    const labels = await db.query(`SELECT count(*)::int AS n FROM lesion_tag WHERE source = 'report_label'`);
    expectError(
      await t.http().post(api('/admin/vocabulary/import')).set(bearer(t.adminKey)).field('origin', 'lesanet'),
      400,
      /Send the spreadsheet as multipart field "file"/,
    );
    expectError(
      await t.http().post(api('/admin/vocabulary/import')).set(bearer(t.adminKey)).attach('file', Buffer.from('x'), 'x.xlsx').field('origin', 'Not OK!'),
      400,
      /origin must be a short lower-case name/,
    );
    expectError(
      await t.http().post(api('/admin/tags/import-labels')).set(bearer(t.adminKey)).field('dataset', 'x'),
      400,
      /Send the JSON file as multipart field "file"/,
    );
    expectError(await t.http().post(api('/admin/tags/import-labels')).set(bearer(t.adminKey)).attach('file', Buffer.from('{oops'), 'l.json'), 400, /JSON/);
    expect(await db.query(`SELECT count(*)::int AS n FROM vocabulary_term`)).toEqual(terms);
    expect(await db.query(`SELECT count(*)::int AS n FROM lesion_tag WHERE source = 'report_label'`)).toEqual(labels);
  });

  it('refuses a detection job id that is malformed or unknown', async () => {
    covers('GET /api/v1/detections/jobs/{id}', 'bad-input');
    expectError(await t.http().get(api('/detections/jobs/nope')).set(bearer(curator)), 400, /uuid is expected/);
    expectError(
      await t.http().get(api('/detections/jobs/00000000-0000-4000-8000-000000000000')).set(bearer(curator)),
      404,
      /No detection job 00000000-0000-4000-8000-000000000000/,
    );
  });

  it('names the signed-in key, and refuses a wrong one', async () => {
    covers('GET /api/v1/me', 'success', 'bad-input');
    expect((await t.http().get(api('/me')).set(bearer(curator)).expect(200)).body).toEqual({ name: 'test-curator', role: 'curator', datasets: null });
    expectError(await t.http().get(api('/me')).set('X-API-Key', 'nonsense'), 401, /valid API key is required/);
  });

  it('refuses bodies it cannot read: 415 for text/plain, 413 over the JSON limit, 400 for malformed JSON; nothing saved', async () => {
    const [{ n: before }] = await db.query(`SELECT count(*)::int AS n FROM cohort`);
    const plain = await t.http().post(api('/cohorts')).set(bearer(curator)).set('Content-Type', 'text/plain').send('name=x');
    expectError(plain, 415, /Unsupported content type: send JSON \(application\/json\), or multipart\/form-data/);
    const huge = await t
      .http()
      .post(api('/cohorts'))
      .set(bearer(curator))
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x', definition: {}, description: 'x'.repeat(2 * 1024 * 1024) }));
    expectError(huge, 413, /Request body is too large/);
    const malformed = await t.http().post(api('/cohorts')).set(bearer(curator)).set('Content-Type', 'application/json').send('{"name": "x", "definition": {');
    expectError(malformed, 400, /not valid JSON/);
    for (const res of [plain, huge, malformed]) expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect((await db.query(`SELECT count(*)::int AS n FROM cohort`))[0].n).toBe(before);
  });

  it('answers /health/ready with 503 and JSON details while the index is not ready', async () => {
    const index = t.app.get(VectorIndexService);
    const real = index.statusWithDatabase.bind(index);
    const spy = jest.spyOn(index, 'statusWithDatabase').mockImplementation(async () => ({ ...(await real()), state: 'loading', message: 'loading (test)' }));
    try {
      const res = await t.http().get('/health/ready');
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      // Loosely: the body's layout is changing to carry the details of what is down.
      expect(res.body.statusCode ?? res.body.status).toEqual(expect.anything());
      const details = res.body.details ?? res.body.error;
      if (typeof details === 'object') expect(JSON.stringify(details)).toMatch(/"index"/);
    } finally {
      spy.mockRestore();
    }
    await t.http().get('/health/ready').expect(200);
  });
});
