import * as fs from 'node:fs';
import { DataSource } from 'typeorm';
import { SampleService } from '../../src/sample/sample.service';
import { HnswRepository } from '../../src/vector-index/hnsw.repository';
import { covers } from '../helpers/route-coverage';
import { bearer, createTestApp, TestApp, waitFor } from '../helpers/test-app';

interface Hit {
  lesion: {
    id: number;
    patient: { index: number; sex: string | null };
    coarseType: { code: number };
    split: string;
    dataset: string;
    study: { index: number; ageYears: number | null };
  };
  similarity: number;
  score: number;
  why: { sameType: boolean | null; sizeRatio: number | null; locationDistance: number | null };
}

describe('similar-lesion search (e2e, real hnswlib)', () => {
  let t: TestApp;
  let key: string;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false' });
    const job = await t.app.get(SampleService).ensureIngested();
    expect(job.status).toBe('completed');
    key = await t.keyFor('reader');
    db = t.app.get(DataSource);
  });
  afterAll(async () => t?.close());

  const similar = (body: object) => t.http().post('/api/v1/search/similar').set(bearer(key)).send(body);
  const lesionRow = async (where = 'true') =>
    (
      await db.query(
        `SELECT l.id, l.patient_id, l.coarse_type, l.image_path, l.box_x1, l.box_y1, l.box_x2, l.box_y2, s.spacing_x_mm FROM lesion l JOIN series s ON s.id = l.series_id WHERE ${where} ORDER BY l.id LIMIT 1`,
      )
    )[0];

  it('reports the index ready with as many points as the database has embeddings', async () => {
    const ready = await t.http().get('/health/ready').expect(200);
    const [{ n }] = await db.query('SELECT count(*)::int AS n FROM lesion_embedding');
    expect(ready.body.info.index).toMatchObject({ status: 'up', points: n, databaseEmbeddings: n });
  });

  it('finds similar lesions by id, other patients only by default, best first, with reasons', async () => {
    covers('POST /api/v1/search/similar', 'success');
    const query = await lesionRow();
    const res = await similar({ lesionId: query.id, k: 10 }).expect(200);
    const hits: Hit[] = res.body.hits;
    expect(hits).toHaveLength(10);
    const [{ patient_index }] = await db.query('SELECT patient_index FROM patient WHERE id = $1', [query.patient_id]);
    expect(hits.every((h) => h.lesion.patient.index !== patient_index)).toBe(true);
    const sims = hits.map((h) => h.similarity);
    expect(sims).toEqual([...sims].sort((a, b) => b - a));
    expect(hits[0].why.sameType).toBe(hits[0].lesion.coarseType.code === query.coarse_type);
    expect(res.body.model.modelId).toMatch(/^[0-9a-f]{64}$/);
    // Hits carry the same lesion metadata as the lesion's own page (read by a leaner query).
    for (const hit of hits.slice(0, 3)) {
      const page = (await t.http().get(`/api/v1/lesions/${hit.lesion.id}`).set(bearer(key)).expect(200)).body;
      expect(page).toMatchObject(hit.lesion as unknown as Record<string, unknown>);
    }
    const withSame = await similar({ lesionId: query.id, k: 200, excludeSamePatient: false }).expect(200);
    expect(withSame.body.hits.some((h: Hit) => h.lesion.patient.index === patient_index)).toBe(true);
    expect(withSame.body.hits.some((h: Hit) => h.lesion.id === query.id)).toBe(false);
  });

  it('returns the same neighbours for an uploaded slice and box as for the lesion id', async () => {
    const query = await lesionRow();
    const byId: Hit[] = (await similar({ lesionId: query.id, k: 10 }).expect(200)).body.hits;
    const upload = await t
      .http()
      .post('/api/v1/search/similar')
      .set(bearer(key))
      .attach('file', fs.readFileSync(query.image_path), 'slice.png')
      .field('box', [query.box_x1, query.box_y1, query.box_x2, query.box_y2].join(','))
      .field('spacingMm', String(query.spacing_x_mm))
      .field('k', '30')
      .expect(200);
    const uploaded: Hit[] = upload.body.hits;
    expect(uploaded[0].lesion.id).toBe(query.id);
    expect(uploaded[0].similarity).toBeGreaterThan(0.9999);
    const [{ patient_index }] = await db.query('SELECT patient_index FROM patient WHERE id = $1', [query.patient_id]);
    const otherPatients = uploaded.filter((h) => h.lesion.patient.index !== patient_index).slice(0, 10);
    expect(otherPatients.map((h) => h.lesion.id)).toEqual(byId.map((h) => h.lesion.id));
  });

  it('honours every filter and still returns exactly k when k lesions match', async () => {
    const query = await lesionRow();
    const lung: Hit[] = (await similar({ lesionId: query.id, k: 5, coarseType: [5] }).expect(200)).body.hits;
    expect(lung).toHaveLength(5);
    expect(lung.every((h) => h.lesion.coarseType.code === 5)).toBe(true);
    const combo: Hit[] = (await similar({ lesionId: query.id, k: 200, sex: 'F', split: ['train'], ageMin: 40 }).expect(200)).body.hits;
    const matching: { id: number }[] = await db.query(
      `SELECT l.id FROM lesion l JOIN patient p ON p.id = l.patient_id JOIN study s ON s.id = l.study_id
        WHERE p.sex = 'F' AND l.split = 1 AND s.age_years >= 40 AND l.patient_id <> $1`,
      [query.patient_id],
    );
    expect(matching.length).toBeGreaterThan(0);
    expect(combo.map((h) => h.lesion.id).sort((a, b) => a - b)).toEqual(matching.map((r) => r.id).sort((a, b) => a - b));
    for (const h of combo) expect([h.lesion.patient.sex, h.lesion.split, (h.lesion.study.ageYears ?? 0) >= 40]).toEqual(['F', 'train', true]);
    const strict = await similar({ lesionId: query.id, k: 50, minSimilarity: 0.99 }).expect(200);
    expect(strict.body.hits.every((h: Hit) => h.similarity >= 0.99)).toBe(true);
    const reranked: Hit[] = (await similar({ lesionId: query.id, k: 10, locationWeight: 5 }).expect(200)).body.hits;
    const scores = reranked.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(reranked.some((h) => h.score !== h.similarity)).toBe(true);
  });

  it('refuses bad queries and uploads with clear 4xx errors', async () => {
    covers('POST /api/v1/search/similar', 'bad-input');
    const query = await lesionRow();
    const upload = (file: Buffer, fields: Record<string, string>) => {
      const req = t.http().post('/api/v1/search/similar').set(bearer(key)).attach('file', file, 'slice.png');
      for (const [name, value] of Object.entries(fields)) req.field(name, value);
      return req;
    };
    const slice = fs.readFileSync(query.image_path);
    expect((await upload(Buffer.from('definitely not an image'), { box: '1,1,20,20' })).status).toBe(415);
    expect((await upload(slice, { box: '500,500,600,600' })).body.message).toMatch(/outside the 512x512 image/);
    expect((await upload(slice, { box: '10,10,10,30' })).body.message).toMatch(/zero-size/);
    expect((await upload(slice, {})).status).toBe(400);
    const huge = await upload(Buffer.alloc(50 * 1024 * 1024, 1), { box: '1,1,20,20' });
    expect(huge.status).toBe(413);
    expect(huge.body.message).toMatch(/too large/);
    const misnamed = await t.http().post('/api/v1/search/similar').set(bearer(key)).attach('image', slice, 'slice.png').field('box', '1,1,20,20');
    expect(misnamed.status).toBe(400);
    expect(misnamed.body.message).toMatch(/field "image"/);
    // A client without a key is refused before its upload is read: 401, not the 413 that reading it would give.
    const anonymous = await t
      .http()
      .post('/api/v1/search/similar')
      .attach('file', Buffer.alloc(50 * 1024 * 1024, 1), 'slice.png')
      .field('box', '1,1,20,20');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.message).toMatch(/valid API key is required/);
    expect((await similar({}).expect(400)).body.message).toMatch(/either lesionId or an uploaded slice/);
    await similar({ lesionId: query.id, k: 0 }).expect(400);
    await similar({ lesionId: query.id, k: 500 }).expect(400);
    await similar({ lesionId: 99999999 }).expect(404);
    await similar({ lesionId: query.id, coarseType: [12] }).expect(400);
  });

  it('finds the same lesion in the patient’s other studies', async () => {
    const [row] = await db.query(
      `SELECT l.id FROM lesion l WHERE EXISTS (SELECT 1 FROM lesion o WHERE o.patient_id = l.patient_id AND o.study_id <> l.study_id AND o.coarse_type = l.coarse_type) ORDER BY l.id LIMIT 1`,
    );
    const res = await t.http().get(`/api/v1/lesions/${row.id}/follow-ups`).set(bearer(key)).expect(200);
    expect(res.body.length).toBeGreaterThan(0);
    expect(res.body[0].why.sameType).toBe(true);
    const scores = res.body.map((f: { score: number }) => f.score);
    expect(scores).toEqual([...scores].sort((a: number, b: number) => b - a));
  });

  describe('relevance feedback', () => {
    let curator: string;
    beforeAll(async () => {
      curator = await t.keyFor('curator');
    });
    const feedback = (body: object, as = curator) => t.http().post('/api/v1/search/feedback').set(bearer(as)).send(body);
    const rows = async () => (await db.query(`SELECT count(*)::int AS n FROM search_feedback`))[0].n as number;

    it('stores a curator’s mark on a returned hit with the key and the time; a second mark replaces the first', async () => {
      covers('POST /api/v1/search/feedback', 'success');
      const query = await lesionRow();
      const res = await t.http().post('/api/v1/search/similar').set(bearer(curator)).send({ lesionId: query.id, k: 5 }).expect(200);
      const hit = res.body.hits[0] as Hit & { feedbackToken: string };
      expect(hit.feedbackToken).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
      const marked = await feedback({ queryLesionId: query.id, hitLesionId: hit.lesion.id, relevant: true, token: hit.feedbackToken }).expect(201);
      expect(marked.body).toMatchObject({ queryLesionId: query.id, hitLesionId: hit.lesion.id, relevant: true, keyName: expect.any(String) });
      await feedback({ queryLesionId: query.id, hitLesionId: hit.lesion.id, relevant: false, token: hit.feedbackToken }).expect(201);
      const stored = await db.query(`SELECT relevant, key_id, key_name, created_at FROM search_feedback WHERE query_lesion_id = $1 AND hit_lesion_id = $2`, [
        query.id,
        hit.lesion.id,
      ]);
      expect(stored).toHaveLength(1);
      expect(stored[0].relevant).toBe(false);
      expect(stored[0].key_id.length).toBeGreaterThan(0);
      expect(stored[0].created_at).toBeInstanceOf(Date);
    });

    it('refuses a hit the search never returned, unknown lesions, readers, and malformed bodies, storing nothing', async () => {
      covers('POST /api/v1/search/feedback', 'bad-input');
      const query = await lesionRow();
      const res = await t.http().post('/api/v1/search/similar').set(bearer(curator)).send({ lesionId: query.id, k: 3 }).expect(200);
      const [first, second] = res.body.hits as (Hit & { feedbackToken: string })[];
      const returned = new Set(res.body.hits.map((h: Hit) => h.lesion.id));
      const [never] = await db.query(`SELECT id FROM lesion WHERE id <> ALL($1::int[]) AND id <> $2 ORDER BY id DESC LIMIT 1`, [[...returned], query.id]);
      const before = await rows();
      // A lesion that was not among the hits, with a token of one that was.
      const refused = await feedback({ queryLesionId: query.id, hitLesionId: never.id, relevant: true, token: first.feedbackToken }).expect(400);
      expect(refused.body.message).toMatch(/was not returned by a similar search/);
      // One hit's token does not vouch for another hit, nor for another query.
      await feedback({ queryLesionId: query.id, hitLesionId: second.lesion.id, relevant: true, token: first.feedbackToken }).expect(400);
      await feedback({ queryLesionId: second.lesion.id, hitLesionId: first.lesion.id, relevant: true, token: first.feedbackToken }).expect(400);
      const unknown = await feedback({ queryLesionId: query.id, hitLesionId: 2_147_483_647, relevant: true, token: first.feedbackToken }).expect(404);
      expect(unknown.body.message).toMatch(/2147483647 does not exist/);
      await feedback({ queryLesionId: query.id, hitLesionId: first.lesion.id, relevant: true, token: first.feedbackToken }, key).expect(403);
      const good = { queryLesionId: query.id, hitLesionId: first.lesion.id, relevant: true, token: first.feedbackToken };
      for (const bad of [
        { ...good, relevant: null },
        { ...good, relevant: 'yes' },
        { ...good, queryLesionId: null },
        { ...good, hitLesionId: 0 },
        { ...good, hitLesionId: 2_147_483_648 },
        { ...good, token: null },
        { ...good, token: `${first.feedbackToken}\u0000` },
        { ...good, token: 'x'.repeat(101) },
        { queryLesionId: query.id, hitLesionId: first.lesion.id, relevant: true },
      ]) {
        const answer = await feedback(bad);
        expect([answer.status, JSON.stringify(bad)]).toEqual([400, JSON.stringify(bad)]);
      }
      const nul = await feedback({ ...good, token: `${first.feedbackToken}\u0000` }).expect(400);
      expect(nul.body.message).toMatch(/NUL/);
      expect(await rows()).toBe(before);
    });

    it('gives no feedback token for a search by uploaded slice (there is no query lesion to pair)', async () => {
      const query = await lesionRow();
      const res = await t
        .http()
        .post('/api/v1/search/similar')
        .set(bearer(curator))
        .attach('file', fs.readFileSync(query.image_path), 'slice.png')
        .field('box', [query.box_x1, query.box_y1, query.box_x2, query.box_y2].join(','))
        .field('spacingMm', String(query.spacing_x_mm))
        .field('k', '3')
        .expect(200);
      expect(res.body.hits.length).toBeGreaterThan(0);
      for (const hit of res.body.hits) expect(hit.feedbackToken).toBeUndefined();
    });
  });

  it('deletes a lesion (admin only) and stops finding it', async () => {
    covers('DELETE /api/v1/lesions/{id}', 'success');
    const [victim, probe] = await db.query('SELECT id FROM lesion ORDER BY id DESC LIMIT 2');
    await t.http().delete(`/api/v1/lesions/${victim.id}`).set(bearer(key)).expect(403);
    const before: Hit[] = (await similar({ lesionId: probe.id, k: 200, excludeSamePatient: false }).expect(200)).body.hits;
    expect(before.some((h) => h.lesion.id === victim.id)).toBe(true);
    await t.http().delete(`/api/v1/lesions/${victim.id}`).set(bearer(t.adminKey)).expect(204);
    await t.http().delete(`/api/v1/lesions/${victim.id}`).set(bearer(t.adminKey)).expect(404);
    const after: Hit[] = (await similar({ lesionId: probe.id, k: 200, excludeSamePatient: false }).expect(200)).body.hits;
    expect(after.some((h) => h.lesion.id === victim.id)).toBe(false);
    await t.http().get(`/api/v1/lesions/${victim.id}`).set(bearer(key)).expect(404);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info.index.points).toBe(ready.body.info.index.databaseEmbeddings);
  });

  it('reloads the index when its worker thread dies, and answers the same again', async () => {
    const query = await lesionRow();
    const before: Hit[] = (await similar({ lesionId: query.id, k: 10 }).expect(200)).body.hits;
    const worker = (t.app.get(HnswRepository) as unknown as { worker: { terminate(): Promise<number> } }).worker;
    await worker.terminate();
    const ready = await waitFor(async () => {
      const res = await t.http().get('/health/ready');
      return res.status === 200 ? res : null;
    }, 30_000);
    expect(ready.body.info.index.points).toBe(ready.body.info.index.databaseEmbeddings);
    const after: Hit[] = (await similar({ lesionId: query.id, k: 10 }).expect(200)).body.hits;
    expect(after.map((h) => h.lesion.id)).toEqual(before.map((h) => h.lesion.id));
  });
});
