import { DataSource } from 'typeorm';
import { AuthService } from '../../src/auth/auth.service';
import { bearer, createSampleApp, SampleApp } from '../helpers/test-app';

/**
 * Issue 13, items 4 and 6: input that used to answer 500 (NUL, invalid UTF-8, numbers beyond the
 * columns, null, deep JSON) is a 400 naming the field and changes nothing; deleting a lesion leaves
 * no empty parents; the audit log counts keyless floods and forgets old rows.
 */
// supertest would otherwise serialise a Buffer body as JSON ({"type":"Buffer",...}).
const sendAsIs = ((body: Buffer) => body) as unknown as (body: unknown) => string;

describe('hostile input at the edge (e2e)', () => {
  let t: SampleApp;
  let reader: string;
  let curator: string;
  let db: DataSource;
  let lesionId: number;

  beforeAll(async () => {
    t = await createSampleApp();
    ({ reader, curator, db } = t);
    [{ id: lesionId }] = await db.query(`SELECT id FROM lesion ORDER BY id LIMIT 1`);
  });
  afterAll(async () => t?.close());

  const count = async (table: string) => Number((await db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);
  /** A JSON body sent byte for byte (escapes such as \u0000 and \ud800 stay as the client wrote them). */
  const rawJson = (method: 'post' | 'put', url: string, key: string, body: string | Buffer) =>
    t
      .http()
      [method](url)
      .set(bearer(key))
      .set('Content-Type', 'application/json')
      .serialize(sendAsIs)
      .send(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
  /** A multipart body with one text field holding exactly these bytes, and a (tiny) file. */
  const rawForm = (url: string, key: string, field: string, value: Buffer) => {
    const boundary = 'hostile-7d3';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"\r\n\r\n`),
      value,
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n\x89P\r\n--${boundary}--\r\n`,
      ),
    ]);
    return t.http().post(url).set(bearer(key)).set('Content-Type', `multipart/form-data; boundary=${boundary}`).serialize(sendAsIs).send(body);
  };
  const messages = (body: { message: string | string[] }) => (Array.isArray(body.message) ? body.message : [body.message]);
  const liveAnswers = async () => expect((await t.http().get('/health/live').expect(200)).body).toBeDefined();

  describe('text: NUL and invalid UTF-8 are 400 naming the field, and nothing is stored', () => {
    it('NUL in a cohort name', async () => {
      const before = await count('cohort');
      const res = await rawJson('post', '/api/v1/cohorts', curator, '{"name":"Lung\\u0000nodules","definition":{}}').expect(400);
      expect(res.body.message).toBe('body field "name" must not contain NUL characters (U+0000)');
      expect(await count('cohort')).toBe(before);
    });

    it('NUL in report text', async () => {
      const before = await count('lesion_report');
      const res = await rawJson('post', `/api/v1/lesions/${lesionId}/report`, curator, '{"text":"Hypodense liver lesion\\u0000"}').expect(400);
      expect(res.body.message).toBe('body field "text" must not contain NUL characters (U+0000)');
      expect(await count('lesion_report')).toBe(before);
    });

    it('NUL in an API key name', async () => {
      const before = await count('api_key');
      const res = await rawJson('post', '/api/v1/admin/keys', t.adminKey, '{"name":"ops\\u0000","role":"reader"}').expect(400);
      expect(res.body.message).toBe('body field "name" must not contain NUL characters (U+0000)');
      expect(await count('api_key')).toBe(before);
    });

    it('a lone surrogate escape ("\\ud800") in a JSON string', async () => {
      const before = await count('cohort');
      const res = await rawJson('post', '/api/v1/cohorts', curator, '{"name":"x","definition":{"tags":"lung \\ud800"}}').expect(400);
      expect(res.body.message).toBe('body field "definition.tags" is not valid UTF-8 text');
      expect(await count('cohort')).toBe(before);
    });

    it('invalid UTF-8 bytes in a JSON body', async () => {
      const before = await count('cohort');
      const body = Buffer.concat([Buffer.from('{"name":"Lung '), Buffer.from([0xc3, 0x28]), Buffer.from('","definition":{}}')]);
      const res = await rawJson('post', '/api/v1/cohorts', curator, body).expect(400);
      expect(res.body.message).toBe('body field "name" is not valid UTF-8 text');
      expect(await count('cohort')).toBe(before);
    });

    it('NUL and invalid UTF-8 in query-string values', async () => {
      const nul = await t.http().get('/api/v1/lesions?q=liver%00').set(bearer(reader)).expect(400);
      expect(nul.body.message).toBe('query parameter "q" must not contain NUL characters (U+0000)');
      const bytes = await t.http().get('/api/v1/vocabulary/suggest?prefix=hyp%FF').set(bearer(reader)).expect(400);
      expect(bytes.body.message).toBe('query parameter "prefix" is not valid UTF-8 text');
      const surrogate = await t.http().get('/api/v1/lesions?q=%ED%A0%80').set(bearer(reader)).expect(400);
      expect(surrogate.body.message).toBe('query parameter "q" is not valid UTF-8 text');
    });

    it('NUL in path parameters', async () => {
      const res = await t.http().get('/api/v1/vocabulary/terms/cyst%00').set(bearer(reader)).expect(400);
      expect(res.body.message).toBe('path parameter "name" must not contain NUL characters (U+0000)');
      const tagsBefore = await count('lesion_tag');
      const del = await t.http().delete(`/api/v1/lesions/${lesionId}/tags/%00`).set(bearer(curator)).expect(400);
      expect(del.body.message).toBe('path parameter "term" must not contain NUL characters (U+0000)');
      expect(await count('lesion_tag')).toBe(tagsBefore);
    });

    it('NUL and invalid UTF-8 in multipart text fields', async () => {
      const nul = await rawForm('/api/v1/search/similar', reader, 'tags', Buffer.from('liver\u0000')).expect(400);
      expect(nul.body.message).toBe('Bad upload: form field "tags" must not contain NUL characters (U+0000)');
      const bytes = await rawForm('/api/v1/search/similar', reader, 'tags', Buffer.from([0x6c, 0xff])).expect(400);
      expect(bytes.body.message).toBe('Bad upload: form field "tags" is not valid UTF-8 text');
    });
  });

  describe('JSON depth: a body nested 10,000 deep is 400 before validation', () => {
    const deep = (depth: number) => '{"definition":' + '{"criteria":'.repeat(depth) + '{}' + '}'.repeat(depth) + '}';

    it('on /cohorts/preview, /cohorts and /search/tags; the service keeps answering', async () => {
      const before = await count('cohort');
      for (const [url, key] of [
        ['/api/v1/cohorts/preview', reader],
        ['/api/v1/cohorts', curator],
        ['/api/v1/search/tags', reader],
      ] as const) {
        const res = await rawJson('post', url, key, deep(10_000)).expect(400);
        expect(res.body.message).toBe('Body nests objects and arrays more than 32 deep');
      }
      const arrays = await rawJson('post', '/api/v1/search/tags', reader, '{"q":"liver","split":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}').expect(400);
      expect(arrays.body.message).toBe('Body nests objects and arrays more than 32 deep');
      expect(await count('cohort')).toBe(before);
      await liveAnswers();
    });
  });

  describe('numbers beyond their columns or meaning are 400 with the range', () => {
    it('patient=2147483648 and study=1e308 on the lesion list', async () => {
      const patient = await t.http().get('/api/v1/lesions?patient=2147483648').set(bearer(reader)).expect(400);
      expect(messages(patient.body)).toEqual(['patient must not be greater than 2147483647']);
      const study = await t.http().get('/api/v1/lesions?study=1e308').set(bearer(reader)).expect(400);
      expect(messages(study.body)).toEqual(['study must not be greater than 2147483647']);
    });

    it('diameterMinMm=1e-320 and ageMin=1e-320 (subnormal: no real column takes them)', async () => {
      const diameter = await t.http().get('/api/v1/lesions?diameterMinMm=1e-320').set(bearer(reader)).expect(400);
      expect(messages(diameter.body)).toEqual(['diameterMinMm must be 0 or at least 1e-30 in magnitude']);
      const age = await t.http().get('/api/v1/lesions?ageMin=1e-320').set(bearer(reader)).expect(400);
      expect(messages(age.body)).toEqual(['ageMin must be 0 or at least 1e-30 in magnitude']);
      await t.http().get('/api/v1/lesions?ageMin=0&diameterMinMm=0').set(bearer(reader)).expect(200);
    });

    it('offset 1e308 on /search/tags, the audit log and a cohort page', async () => {
      const tags = await t.http().post('/api/v1/search/tags').set(bearer(reader)).send({ q: 'liver', offset: 1e308 }).expect(400);
      expect(messages(tags.body)).toEqual(['offset must not be greater than 2147483647']);
      const audit = await t.http().get('/api/v1/admin/audit?offset=1e308').set(bearer(t.adminKey)).expect(400);
      expect(messages(audit.body)).toEqual(['offset must not be greater than 2147483647']);
      const cohortPage = await t.http().get('/api/v1/cohorts/1?offset=1e308&version=3000000000').set(bearer(reader)).expect(400);
      expect(messages(cohortPage.body)).toEqual(
        expect.arrayContaining(['offset must not be greater than 2147483647', 'version must not be greater than 2147483647']),
      );
    });

    it('the same numbers in /cohorts/preview and /cohorts (nothing saved)', async () => {
      const before = await count('cohort');
      const preview = (definition: object) => t.http().post('/api/v1/cohorts/preview').set(bearer(reader)).send({ definition });
      expect(messages((await preview({ criteria: { diameterMinMm: 1e308 } }).expect(400)).body)).toEqual([
        'definition.criteria.diameterMinMm must not be greater than 1000',
      ]);
      expect(messages((await preview({ criteria: { ageMin: 1e-320 } }).expect(400)).body)).toEqual([
        'definition.criteria.ageMin must be 0 or at least 1e-30 in magnitude',
      ]);
      expect(messages((await preview({ similarTo: { lesionId: 1e308, minSimilarity: 0.5 } }).expect(400)).body)).toEqual([
        'definition.similarTo.lesionId must not be greater than 2147483647',
      ]);
      const saved = await t
        .http()
        .post('/api/v1/cohorts')
        .set(bearer(curator))
        .send({ name: 'x', definition: { criteria: { ageMax: 1e-320 } } })
        .expect(400);
      expect(messages(saved.body)).toEqual(['definition.criteria.ageMax must be 0 or at least 1e-30 in magnitude']);
      expect(await count('cohort')).toBe(before);
    });

    it('path ids beyond int4 (lesions, cohorts, tags, delete)', async () => {
      for (const url of [
        '/api/v1/lesions/2147483648',
        '/api/v1/lesions/99999999999999999999/tags',
        '/api/v1/cohorts/3000000000',
        '/api/v1/lesions/0/follow-ups',
      ]) {
        const res = await t.http().get(url).set(bearer(reader)).expect(400);
        expect(res.body.message).toBe('id must be an integer from 1 to 2147483647');
      }
      const lesions = await count('lesion');
      await t.http().delete('/api/v1/lesions/2147483648').set(bearer(t.adminKey)).expect(400);
      expect(await count('lesion')).toBe(lesions);
    });
  });

  describe('null where a value or a tag query is expected is 400', () => {
    it('{"q":null} on /search/tags', async () => {
      const res = await t.http().post('/api/v1/search/tags').set(bearer(reader)).send({ q: null }).expect(400);
      expect(messages(res.body)).toEqual(expect.arrayContaining(['q is required (a tag query)', 'q must be a string']));
      const missing = await t.http().post('/api/v1/search/tags').set(bearer(reader)).send({}).expect(400);
      expect(messages(missing.body)).toEqual(expect.arrayContaining(['q is required (a tag query)']));
    });

    it('definition.tags: null on cohorts (nothing saved)', async () => {
      const before = await count('cohort');
      const preview = await t
        .http()
        .post('/api/v1/cohorts/preview')
        .set(bearer(reader))
        .send({ definition: { tags: null } })
        .expect(400);
      expect(messages(preview.body)).toEqual(expect.arrayContaining(['definition.tags must not be null (leave it out instead)']));
      const saved = await t
        .http()
        .post('/api/v1/cohorts')
        .set(bearer(curator))
        .send({ name: 'x', definition: { tags: null } })
        .expect(400);
      expect(messages(saved.body)).toEqual(expect.arrayContaining(['definition.tags must not be null (leave it out instead)']));
      const criteria = await t
        .http()
        .post('/api/v1/cohorts/preview')
        .set(bearer(reader))
        .send({ definition: { criteria: null, similarTo: null } })
        .expect(400);
      expect(messages(criteria.body)).toEqual(
        expect.arrayContaining(['definition.criteria must not be null (leave it out instead)', 'definition.similarTo must not be null (leave it out instead)']),
      );
      expect(await count('cohort')).toBe(before);
    });

    it('tags: null on similar search', async () => {
      const res = await t.http().post('/api/v1/search/similar').set(bearer(reader)).send({ lesionId, tags: null }).expect(400);
      expect(messages(res.body)).toEqual(expect.arrayContaining(['tags must not be null (leave it out instead)']));
    });

    it('limit: null (it used to mean no limit at all)', async () => {
      const res = await t.http().post('/api/v1/search/tags').set(bearer(reader)).send({ q: 'liver', limit: null }).expect(400);
      expect(messages(res.body)).toEqual(expect.arrayContaining(['limit must not be null (leave it out instead)']));
    });
  });

  describe('strings and arrays are bounded', () => {
    it('over-long lists and strings are 400', async () => {
      const types = await t
        .http()
        .get(`/api/v1/lesions?coarseType=${Array(21).fill(4).join(',')}`)
        .set(bearer(reader))
        .expect(400);
      expect(messages(types.body)).toEqual(['coarseType must contain no more than 20 elements']);
      const splits = await t
        .http()
        .post('/api/v1/cohorts/preview')
        .set(bearer(reader))
        .send({ definition: { criteria: { split: Array(11).fill('test') } } })
        .expect(400);
      expect(messages(splits.body)).toEqual(['definition.criteria.split must contain no more than 10 elements']);
      const box = await t
        .http()
        .post('/api/v1/search/similar')
        .set(bearer(reader))
        .send({ lesionId, box: '1,'.repeat(100) + '1' })
        .expect(400);
      expect(messages(box.body)).toEqual(expect.arrayContaining(['box must be shorter than or equal to 100 characters']));
      const window = await t
        .http()
        .post('/api/v1/search/similar')
        .set(bearer(reader))
        .send({ lesionId, huWindow: '9'.repeat(400) + ',1' })
        .expect(400);
      expect(messages(window.body)).toEqual(expect.arrayContaining(['huWindow must be shorter than or equal to 100 characters']));
    });
  });

  describe('deleting lesions leaves no empty parents', () => {
    it('removes the series, study and patient with their last lesion; /stats counts only what is left', async () => {
      // A patient with lesions in a single series, and another series of some patient kept as a control.
      const [patient] = await db.query(
        `SELECT patient_id, min(study_id) AS study_id, min(series_id) AS series_id, count(*)::int AS n FROM lesion GROUP BY patient_id HAVING count(DISTINCT series_id) = 1 ORDER BY patient_id LIMIT 1`,
      );
      expect(patient).toBeDefined();
      const ids: number[] = (await db.query(`SELECT id FROM lesion WHERE patient_id = $1 ORDER BY id`, [patient.patient_id])).map((r: { id: number }) => r.id);
      const before = (await t.http().get('/api/v1/stats').set(bearer(reader)).expect(200)).body.totals;
      // All but the last: the parents stay.
      for (const id of ids.slice(0, -1)) await t.http().delete(`/api/v1/lesions/${id}`).set(bearer(t.adminKey)).expect(204);
      expect(await count(`series WHERE id = ${Number(patient.series_id)}`)).toBe(1);
      await t
        .http()
        .delete(`/api/v1/lesions/${ids[ids.length - 1]}`)
        .set(bearer(t.adminKey))
        .expect(204);
      expect(await count(`series WHERE id = ${Number(patient.series_id)}`)).toBe(0);
      expect(await count(`study WHERE id = ${Number(patient.study_id)}`)).toBe(0);
      expect(await count(`patient WHERE id = ${Number(patient.patient_id)}`)).toBe(0);
      const after = (await t.http().get('/api/v1/stats').set(bearer(reader)).expect(200)).body.totals;
      expect(after).toEqual({ patients: before.patients - 1, studies: before.studies - 1, series: before.series - 1, lesions: before.lesions - ids.length });
      // Every parent left still has a lesion.
      expect(await count(`series se WHERE NOT EXISTS (SELECT 1 FROM lesion l WHERE l.series_id = se.id)`)).toBe(0);
      expect(await count(`patient p WHERE NOT EXISTS (SELECT 1 FROM lesion l WHERE l.patient_id = p.id)`)).toBe(0);
      await t.http().delete(`/api/v1/lesions/${ids[0]}`).set(bearer(t.adminKey)).expect(404);
    });
  });

  describe('audit log', () => {
    it('counts a flood of requests without a key in one row per route, status and minute', async () => {
      const auth = t.app.get(AuthService);
      await auth.flushAudit();
      const rowsBefore = await count(`audit_log WHERE route = '/api/v1/stats' AND status = 401`);
      expect(rowsBefore).toBe(0);
      for (let i = 0; i < 60; i++) await t.http().get(`/api/v1/stats?i=${i}`).expect(401);
      await auth.flushAudit();
      const rows: { request_count: number; aggregated: boolean; api_key_id: string | null; query_hash: string | null }[] = await db.query(
        `SELECT request_count, aggregated, api_key_id, query_hash FROM audit_log WHERE route = '/api/v1/stats' AND status = 401`,
      );
      // One row a minute: two if the flood crossed a minute boundary.
      expect(rows.length).toBeGreaterThanOrEqual(1);
      expect(rows.length).toBeLessThanOrEqual(2);
      expect(rows.reduce((sum, r) => sum + r.request_count, 0)).toBe(60);
      expect(rows.every((r) => r.aggregated && r.api_key_id === null && r.query_hash === null)).toBe(true);
      // Requests with a key keep a row each.
      const keyedBefore = await count(`audit_log WHERE route = '/api/v1/stats' AND status = 200`);
      for (let i = 0; i < 3; i++) await t.http().get('/api/v1/stats').set(bearer(reader)).expect(200);
      await auth.flushAudit();
      expect(await count(`audit_log WHERE route = '/api/v1/stats' AND status = 200`)).toBe(keyedBefore + 3);
      const listed = await t.http().get('/api/v1/admin/audit?limit=500').set(bearer(t.adminKey)).expect(200);
      const counted = listed.body.items.filter((e: { route: string; status: number }) => e.route === '/api/v1/stats' && e.status === 401);
      expect(counted.reduce((sum: number, e: { requestCount: number }) => sum + e.requestCount, 0)).toBe(60);
    });

    it('deletes rows older than AUDIT_RETENTION_DAYS (90 by default) and keeps newer ones', async () => {
      expect(t.config.audit.retentionDays).toBe(90);
      await db.query(
        `INSERT INTO audit_log (api_key_id, method, route, status, duration_ms, at) VALUES (NULL, 'GET', '/old', 200, 1, now() - interval '91 days'), (NULL, 'GET', '/recent', 200, 1, now() - interval '89 days')`,
      );
      expect(await t.app.get(AuthService).pruneAuditLog()).toBeGreaterThanOrEqual(1);
      expect(await count(`audit_log WHERE route = '/old'`)).toBe(0);
      expect(await count(`audit_log WHERE route = '/recent'`)).toBe(1);
      expect(await count(`audit_log WHERE at < now() - interval '90 days'`)).toBe(0);
    });
  });
});
