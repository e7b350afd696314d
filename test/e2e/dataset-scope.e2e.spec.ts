import * as fs from 'node:fs';
import * as path from 'node:path';
import { Response } from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { IngestService } from '../../src/ingest/ingest.service';
import { SAMPLE_DATASET } from '../../src/sample/sample.service';
import { VectorIndexService } from '../../src/vector-index/vector-index.service';
import { covers } from '../helpers/route-coverage';
import { bearer, createSampleApp, SampleApp, TEST_SAMPLE_DIR, waitFor } from '../helpers/test-app';

/**
 * Two sites in one service: the built-in sample, and the same rows imported again as another dataset
 * (identical images, so identical embeddings: every similar search finds the other site's copy first
 * unless the scope filters it out). A key limited to the sample must never see the other site's
 * lesions, through any route of the OpenAPI document; asking for them explicitly is a 403 (a filter)
 * or a 404 (an id). The route table below must name every operation, so a new route fails here until
 * it is probed or exempted with a reason.
 */
const OTHER = 'other-site';

describe('dataset-scoped API keys: another dataset never appears in any answer (e2e)', () => {
  let t: SampleApp;
  let scopedReader: string;
  let scopedCurator: string;
  let scopedAdmin: string;
  /** The other site's lesion ids, and one of ours / theirs to ask about. */
  let otherIds: Set<number>;
  let own: { id: number; image_path: string; box: string; spacing: number; cx: number; cy: number };
  let theirs: number;
  let ownCount: number;

  beforeAll(async () => {
    // A DICOMweb source that is never reached: storing another dataset's report must stop before it.
    t = await createSampleApp({ DICOMWEB_SOURCES: JSON.stringify({ pacs: 'http://127.0.0.1:9/dicom-web' }) });
    const job = await t.app.get(IngestService).run({
      format: 'deeplesion',
      csvPath: path.join(TEST_SAMPLE_DIR, 'DL_info.csv'),
      imagesDir: path.join(TEST_SAMPLE_DIR, 'Images_png'),
      dataset: OTHER,
      pathsFrom: 'operator',
    });
    if (job.status !== 'completed') throw new Error(`the second import ended ${job.status}`);
    const auth = t.app.get(AuthService);
    scopedReader = (await auth.createKey('sample-reader', 'reader', [SAMPLE_DATASET])).key;
    scopedCurator = (await auth.createKey('sample-curator', 'curator', [SAMPLE_DATASET])).key;
    scopedAdmin = (await auth.createKey('sample-admin', 'admin', [SAMPLE_DATASET])).key;
    const rows: { id: number; dataset: string }[] = await t.db.query(
      `SELECT l.id, p.dataset FROM lesion l JOIN patient p ON p.id = l.patient_id ORDER BY l.id`,
    );
    otherIds = new Set(rows.filter((r) => r.dataset === OTHER).map((r) => r.id));
    ownCount = rows.length - otherIds.size;
    expect(otherIds.size).toBeGreaterThan(10);
    expect(ownCount).toBe(otherIds.size);
    // A lesion with a track (a patient seen twice), so follow-ups, tracks and predictions have content.
    const [o] = await t.db.query(
      `SELECT l.id, l.image_path, l.box_x1, l.box_y1, l.box_x2, l.box_y2, se.spacing_x_mm FROM lesion l JOIN series se ON se.id = l.series_id JOIN patient p ON p.id = l.patient_id
        WHERE p.dataset = $1 AND (SELECT count(DISTINCT study_id) FROM lesion x WHERE x.patient_id = l.patient_id) > 1 ORDER BY l.id LIMIT 1`,
      [SAMPLE_DATASET],
    );
    own = {
      id: o.id,
      image_path: o.image_path,
      box: [o.box_x1, o.box_y1, o.box_x2, o.box_y2].join(','),
      spacing: o.spacing_x_mm,
      cx: (o.box_x1 + o.box_x2) / 2,
      cy: (o.box_y1 + o.box_y2) / 2,
    };
    // Their copy of the same lesion (same patient index, study and slice in the other dataset).
    theirs = (
      await t.db.query(
        `SELECT t.id FROM lesion t JOIN patient tp ON tp.id = t.patient_id, lesion o JOIN patient op ON op.id = o.patient_id
          WHERE o.id = $1 AND tp.dataset = $2 AND tp.patient_index = op.patient_index AND t.source_file_name = o.source_file_name AND t.lesion_in_image = o.lesion_in_image`,
        [own.id, OTHER],
      )
    )[0].id;
    const index = t.app.get(VectorIndexService);
    await waitFor(async () => [...otherIds].every((id) => index.metaOf(id)));
  });
  afterAll(async () => t?.close());

  const http = () => t.http();
  /**
   * Fails when the answer names the other dataset or carries one of its lesion ids: JSON fields, the first
   * CSV column, or "lesion N" in report text (SR and FHIR name similar cases so).
   */
  function expectNoOther(res: Response): void {
    const text = Buffer.isBuffer(res.body) ? res.body.toString('latin1') : (res.text ?? JSON.stringify(res.body));
    expect(text).not.toContain(OTHER);
    const leaked: number[] = [...text.matchAll(/lesion (\d+)/g)].map((m) => Number(m[1])).filter((id) => otherIds.has(id));
    const walk = (value: unknown, key: string) => {
      if (Array.isArray(value)) value.forEach((v) => walk(v, key));
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
      else if (typeof value === 'number' && /^(id|lesionId|hitLesionId|queryLesionId|lesionIds|from|to)$/.test(key) && otherIds.has(value)) leaked.push(value);
    };
    if (/json/.test(String(res.headers['content-type']))) walk(JSON.parse(res.text), '');
    if (/csv/.test(String(res.headers['content-type'])))
      for (const line of res.text.split('\n').slice(1)) if (otherIds.has(Number(line.split(',')[0]))) leaked.push(Number(line.split(',')[0]));
    expect(leaked).toEqual([]);
  }
  const get = async (url: string, key = scopedReader, status = 200) => {
    const res = await http().get(url).set(bearer(key)).expect(status);
    expectNoOther(res);
    return res;
  };
  const post = async (url: string, body: object, key = scopedReader, status = 200) => {
    const res = await http().post(url).set(bearer(key)).send(body).expect(status);
    expectNoOther(res);
    return res;
  };
  const upload = (url: string, fields: Record<string, string>, key = scopedReader) => {
    const req = http().post(url).set(bearer(key)).attach('file', fs.readFileSync(own.image_path), 'slice.png');
    for (const [name, value] of Object.entries(fields)) req.field(name, value);
    return req;
  };

  /** Each reader/curator operation: what a scoped key gets, and the other dataset asked for by name or id. */
  const PROBES: Record<string, (() => Promise<void>) | string> = {
    'GET /api/v1/lesions': async () => {
      covers('GET /api/v1/lesions', 'bad-input');
      expect((await get('/api/v1/lesions?limit=200')).body.total).toBe(ownCount);
      expect((await get(`/api/v1/lesions?limit=200&dataset=${SAMPLE_DATASET}`)).body.items).toHaveLength(ownCount);
      // The same request without a scope sees both sites: the filter above is what kept the other out.
      expect((await http().get('/api/v1/lesions?limit=1').set(bearer(t.reader)).expect(200)).body.total).toBe(ownCount * 2);
      expect((await http().get(`/api/v1/lesions?dataset=${OTHER}`).set(bearer(scopedReader)).expect(403)).body.message).toMatch(/limited to the datasets/);
      await http().get(`/api/v1/lesions?dataset=${SAMPLE_DATASET},${OTHER}`).set(bearer(scopedReader)).expect(403);
      await http().get(`/api/v1/lesions?dataset=NOT%20A%20NAME`).set(bearer(scopedReader)).expect(400);
      // q (tag query) takes the same path.
      expect((await get('/api/v1/lesions?q=liver&limit=200')).body.items.length).toBeGreaterThan(0);
    },
    'GET /api/v1/lesions/{id}': async () => {
      expect((await get(`/api/v1/lesions/${own.id}`)).body.dataset).toBe(SAMPLE_DATASET);
      const missing = await http().get(`/api/v1/lesions/${theirs}`).set(bearer(scopedReader)).expect(404);
      expect(missing.body.message).toBe(`Lesion ${theirs} not found`);
    },
    'GET /api/v1/lesions/{id}/patch.png': async () => {
      await http().get(`/api/v1/lesions/${own.id}/patch.png`).set(bearer(scopedReader)).expect(200);
      await http().get(`/api/v1/lesions/${theirs}/patch.png`).set(bearer(scopedReader)).expect(404);
    },
    'GET /api/v1/stats': async () => {
      const stats = (await get('/api/v1/stats')).body;
      expect(stats.totals.lesions).toBe(ownCount);
      expect(stats.byCoarseType.reduce((s: number, r: { count: number }) => s + r.count, 0)).toBe(ownCount);
      expect((await http().get('/api/v1/stats').set(bearer(t.reader)).expect(200)).body.totals.lesions).toBe(ownCount * 2);
    },
    'POST /api/v1/search/tags': async () => {
      covers('POST /api/v1/search/tags', 'bad-input');
      expect((await post('/api/v1/search/tags', { q: 'liver', limit: 200 })).body.total).toBeGreaterThan(0);
      await post('/api/v1/search/tags', { q: 'liver', dataset: [SAMPLE_DATASET] });
      await http()
        .post('/api/v1/search/tags')
        .set(bearer(scopedReader))
        .send({ q: 'liver', dataset: [OTHER] })
        .expect(403);
    },
    'POST /api/v1/search/similar': async () => {
      covers('POST /api/v1/search/similar', 'bad-input');
      const byId = (await post('/api/v1/search/similar', { lesionId: own.id, k: 200, excludeSamePatient: false })).body.hits;
      expect(byId.length).toBe(ownCount - 1);
      // Unscoped, the other site's copy (an identical embedding) is the first hit.
      const unscoped = (
        await http().post('/api/v1/search/similar').set(bearer(t.reader)).send({ lesionId: own.id, k: 1, excludeSamePatient: false }).expect(200)
      ).body.hits;
      expect(unscoped[0].lesion.id).toBe(theirs);
      const byUpload = await upload('/api/v1/search/similar', { box: own.box, spacingMm: String(own.spacing), k: '50' }).expect(200);
      expectNoOther(byUpload);
      expect(byUpload.body.hits[0].lesion.id).toBe(own.id);
      await post('/api/v1/search/similar', { lesionId: own.id, dataset: [SAMPLE_DATASET] });
      await http()
        .post('/api/v1/search/similar')
        .set(bearer(scopedReader))
        .send({ lesionId: own.id, dataset: [OTHER] })
        .expect(403);
      await http().post('/api/v1/search/similar').set(bearer(scopedReader)).send({ lesionId: theirs }).expect(404);
      // The new filter narrows an unscoped key too.
      const onlyOther = (await http().post('/api/v1/search/similar').set(bearer(t.reader)).send({ lesionId: own.id, k: 20, dataset: OTHER }).expect(200)).body
        .hits;
      expect(onlyOther.length).toBe(20);
      expect(onlyOther.every((h: { lesion: { dataset: string } }) => h.lesion.dataset === OTHER)).toBe(true);
      await http()
        .post('/api/v1/search/similar')
        .set(bearer(t.reader))
        .send({ lesionId: own.id, dataset: Array.from({ length: 33 }, (_, i) => `d${i}`) })
        .expect(400);
    },
    'POST /api/v1/search/feedback': async () => {
      const hit = (await post('/api/v1/search/similar', { lesionId: own.id, k: 1 }, scopedCurator)).body.hits[0];
      await post(
        '/api/v1/search/feedback',
        { queryLesionId: own.id, hitLesionId: hit.lesion.id, relevant: true, token: hit.feedbackToken },
        scopedCurator,
        201,
      );
      const res = await http()
        .post('/api/v1/search/feedback')
        .set(bearer(scopedCurator))
        .send({ queryLesionId: own.id, hitLesionId: theirs, relevant: true, token: hit.feedbackToken })
        .expect(404);
      expect(res.body.message).toBe(`Lesion ${theirs} not found`);
    },
    'GET /api/v1/lesions/{id}/follow-ups': async () => {
      expect((await get(`/api/v1/lesions/${own.id}/follow-ups`)).body.length).toBeGreaterThan(0);
      await http().get(`/api/v1/lesions/${theirs}/follow-ups`).set(bearer(scopedReader)).expect(404);
    },
    'GET /api/v1/lesions/{id}/tags': async () => {
      expect((await get(`/api/v1/lesions/${own.id}/tags`)).body.lesionId).toBe(own.id);
      await http().get(`/api/v1/lesions/${theirs}/tags`).set(bearer(scopedReader)).expect(404);
    },
    'POST /api/v1/lesions/{id}/tags': async () => {
      await post(`/api/v1/lesions/${own.id}/tags`, { term: 'liver' }, scopedCurator, 201);
      await http().post(`/api/v1/lesions/${theirs}/tags`).set(bearer(scopedCurator)).send({ term: 'liver' }).expect(404);
    },
    'DELETE /api/v1/lesions/{id}/tags/{term}': async () => {
      await http().delete(`/api/v1/lesions/${theirs}/tags/liver`).set(bearer(scopedCurator)).expect(404);
      expectNoOther(await http().delete(`/api/v1/lesions/${own.id}/tags/liver`).set(bearer(scopedCurator)).expect(200));
    },
    'POST /api/v1/lesions/{id}/report': async () => {
      await post(`/api/v1/lesions/${own.id}/report`, { text: 'Hypodense liver lesion.' }, scopedCurator, 201);
      await http().post(`/api/v1/lesions/${theirs}/report`).set(bearer(scopedCurator)).send({ text: 'Hypodense liver lesion.' }).expect(404);
    },
    'GET /api/v1/lesions/{id}/track': async () => {
      const followed: { id: number }[] = await t.db.query(
        `SELECT l.id FROM lesion l JOIN patient p ON p.id = l.patient_id WHERE p.dataset = $1 AND (SELECT count(DISTINCT study_id) FROM lesion x WHERE x.patient_id = l.patient_id) > 1 ORDER BY l.id`,
        [SAMPLE_DATASET],
      );
      let longest = 0;
      for (const { id } of followed) if ((longest = Math.max(longest, (await get(`/api/v1/lesions/${id}/track`)).body.points.length)) > 1) break;
      expect(longest).toBeGreaterThan(1);
      await http().get(`/api/v1/lesions/${theirs}/track`).set(bearer(scopedReader)).expect(404);
    },
    'GET /api/v1/lesions/{id}/track/decisions': async () => {
      await get(`/api/v1/lesions/${own.id}/track/decisions`);
      await http().get(`/api/v1/lesions/${theirs}/track/decisions`).set(bearer(scopedReader)).expect(404);
    },
    'POST /api/v1/growth/track-edits': async () => {
      await http().post('/api/v1/growth/track-edits').set(bearer(scopedCurator)).send({ action: 'unlink', lesionId: theirs }).expect(404);
      expect((await post('/api/v1/growth/track-edits', { action: 'unlink', lesionId: own.id }, scopedCurator)).body.lesionId).toBe(own.id);
    },
    'DELETE /api/v1/growth/decisions/{id}': async () => {
      // A decision about the other site's patient, made with a key that sees everything.
      await http().post('/api/v1/growth/track-edits').set(bearer(t.curator)).send({ action: 'unlink', lesionId: theirs }).expect(200);
      const [decision] = (await http().get(`/api/v1/lesions/${theirs}/track/decisions`).set(bearer(t.curator)).expect(200)).body;
      expect(decision).toBeDefined();
      await http().delete(`/api/v1/growth/decisions/${decision.decisionId}`).set(bearer(scopedCurator)).expect(404);
      expect((await http().get(`/api/v1/lesions/${theirs}/track/decisions`).set(bearer(t.curator)).expect(200)).body).toHaveLength(1);
    },
    'POST /api/v1/growth/tracks/rebuild': async () => {
      await post('/api/v1/growth/tracks/rebuild', { lesionId: own.id }, scopedCurator);
      await post('/api/v1/growth/tracks/rebuild', {}, scopedCurator);
      await http().post('/api/v1/growth/tracks/rebuild').set(bearer(scopedCurator)).send({ lesionId: theirs }).expect(404);
    },
    'POST /api/v1/growth/predict': async () => {
      const scoped = (await post('/api/v1/growth/predict', { lesionId: own.id, intervalDays: 180 })).body;
      expect(scoped.evidence.length).toBeGreaterThan(0);
      // Unscoped, the other site's copies of this patient's neighbours are evidence too.
      const unscoped = (await http().post('/api/v1/growth/predict').set(bearer(t.reader)).send({ lesionId: own.id, intervalDays: 180 }).expect(200)).body;
      expect(unscoped.evidence.some((e: { lesionId: number }) => otherIds.has(e.lesionId))).toBe(true);
      await http().post('/api/v1/growth/predict').set(bearer(scopedReader)).send({ lesionId: theirs, intervalDays: 180 }).expect(404);
      const byUpload = await upload('/api/v1/growth/predict', { box: own.box, spacingMm: String(own.spacing), intervalDays: '180' }).expect(200);
      expectNoOther(byUpload);
    },
    'POST /api/v1/cohorts/preview': async () => {
      expect((await post('/api/v1/cohorts/preview', { definition: {} })).body.counts.total).toBe(ownCount);
      expect(
        (await post('/api/v1/cohorts/preview', { definition: { similarTo: { lesionId: own.id, minSimilarity: -1, excludeSamePatient: false } } })).body.counts
          .total,
      ).toBe(ownCount - 1);
      await http()
        .post('/api/v1/cohorts/preview')
        .set(bearer(scopedReader))
        .send({ definition: { criteria: { dataset: [OTHER] } } })
        .expect(403);
      await http()
        .post('/api/v1/cohorts/preview')
        .set(bearer(scopedReader))
        .send({ definition: { similarTo: { lesionId: theirs, minSimilarity: 0.5 } } })
        .expect(404);
      const responding = { definition: { response: ['SD', 'PD', 'PR', 'CR'] } };
      const scopedMatched = (await post('/api/v1/cohorts/preview', responding)).body.response.matched;
      expect(scopedMatched).toBeGreaterThan(0);
      expect((await http().post('/api/v1/cohorts/preview').set(bearer(t.reader)).send(responding).expect(200)).body.response.matched).toBe(scopedMatched * 2);
    },
    'POST /api/v1/cohorts': async () => {
      const created = (await post('/api/v1/cohorts', { name: 'scoped all', definition: {} }, scopedCurator, 201)).body;
      // Saved over the key's datasets: an unscoped reader re-running it sees the same members.
      expect(created.cohort.definition.criteria.dataset).toEqual([SAMPLE_DATASET]);
      const rerun = (await http().get(`/api/v1/cohorts/${created.cohort.id}`).set(bearer(t.reader)).expect(200)).body;
      expect(rerun.counts.total).toBe(ownCount);
      expect(rerun.reproduced.sameMembers).toBe(true);
      await http()
        .post('/api/v1/cohorts')
        .set(bearer(scopedCurator))
        .send({ name: 'x', definition: { criteria: { dataset: [OTHER] } } })
        .expect(403);
    },
    'GET /api/v1/cohorts': async () => {
      const everything = (await http().post('/api/v1/cohorts').set(bearer(t.curator)).send({ name: 'both sites', definition: {} }).expect(201)).body.cohort.id;
      const list = (await get('/api/v1/cohorts')).body as { id: number }[];
      expect(list.length).toBeGreaterThan(0);
      expect(list.map((c) => c.id)).not.toContain(everything);
      expect((await http().get('/api/v1/cohorts').set(bearer(t.reader)).expect(200)).body.map((c: { id: number }) => c.id)).toContain(everything);
    },
    'GET /api/v1/cohorts/{id}': async () => {
      const theirCohort = (
        await http()
          .post('/api/v1/cohorts')
          .set(bearer(t.curator))
          .send({ name: 'theirs', definition: { criteria: { dataset: OTHER } } })
          .expect(201)
      ).body.cohort.id;
      await http().get(`/api/v1/cohorts/${theirCohort}`).set(bearer(scopedReader)).expect(404);
      const ours = (await post('/api/v1/cohorts', { name: 'ours', definition: { tags: 'liver' } }, scopedCurator, 201)).body.cohort.id;
      expect((await get(`/api/v1/cohorts/${ours}?limit=200`)).body.members.items.length).toBeGreaterThan(0);
    },
    'PUT /api/v1/cohorts/{id}': async () => {
      const theirCohort = (await http().post('/api/v1/cohorts').set(bearer(t.curator)).send({ name: 'theirs 2', definition: {} }).expect(201)).body.cohort.id;
      await http().put(`/api/v1/cohorts/${theirCohort}`).set(bearer(scopedCurator)).send({ definition: {} }).expect(404);
      const ours = (await post('/api/v1/cohorts', { name: 'ours 2', definition: {} }, scopedCurator, 201)).body.cohort.id;
      const updated = await http()
        .put(`/api/v1/cohorts/${ours}`)
        .set(bearer(scopedCurator))
        .send({ definition: { criteria: { coarseType: [4] } } })
        .expect(200);
      expectNoOther(updated);
      expect(updated.body.cohort.definition.criteria.dataset).toEqual([SAMPLE_DATASET]);
    },
    'DELETE /api/v1/cohorts/{id}': async () => {
      const theirCohort = (await http().post('/api/v1/cohorts').set(bearer(t.curator)).send({ name: 'theirs 3', definition: {} }).expect(201)).body.cohort.id;
      await http().delete(`/api/v1/cohorts/${theirCohort}`).set(bearer(scopedCurator)).expect(404);
      await http().get(`/api/v1/cohorts/${theirCohort}`).set(bearer(t.reader)).expect(200);
    },
    'GET /api/v1/cohorts/{id}/export': async () => {
      const ours = (await post('/api/v1/cohorts', { name: 'export', definition: {} }, scopedCurator, 201)).body.cohort.id;
      const csv = await get(`/api/v1/cohorts/${ours}/export?format=csv`);
      expect(csv.text.trim().split('\n')).toHaveLength(ownCount + 1);
      const json = await get(`/api/v1/cohorts/${ours}/export?format=json`);
      expect(JSON.parse(json.text).total).toBe(ownCount);
      const both = (await http().post('/api/v1/cohorts').set(bearer(t.curator)).send({ name: 'both 2', definition: {} }).expect(201)).body.cohort.id;
      await http().get(`/api/v1/cohorts/${both}/export?format=csv`).set(bearer(scopedReader)).expect(404);
    },
    'POST /api/v1/detections': async () => {
      covers('POST /api/v1/detections', 'bad-input');
      const res = await upload('/api/v1/detections', { include: 'similar', k: '20', scoreThreshold: '0', spacingMm: String(own.spacing) }).expect(200);
      expectNoOther(res);
      await upload('/api/v1/detections', { include: 'similar', dataset: OTHER }).expect(403);
    },
    'POST /api/v1/detections/from-point': async () => {
      covers('POST /api/v1/detections/from-point', 'bad-input');
      const res = await upload('/api/v1/detections/from-point', { x: String(own.cx), y: String(own.cy), k: '20', include: 'similar' }).expect(200);
      expectNoOther(res);
      expect(res.body.similar).toHaveLength(20);
      const unscoped = await upload('/api/v1/detections/from-point', { x: String(own.cx), y: String(own.cy), k: '20', include: 'similar' }, t.reader).expect(
        200,
      );
      expect(unscoped.body.similar.some((h: { lesion: { dataset: string } }) => h.lesion.dataset === OTHER)).toBe(true);
      const onlyOther = await upload(
        '/api/v1/detections/from-point',
        { x: String(own.cx), y: String(own.cy), k: '5', include: 'similar', dataset: OTHER },
        t.reader,
      ).expect(200);
      expect(onlyOther.body.similar.every((h: { lesion: { dataset: string } }) => h.lesion.dataset === OTHER)).toBe(true);
      await upload('/api/v1/detections/from-point', { x: String(own.cx), y: String(own.cy), include: 'similar', dataset: OTHER }).expect(403);
    },
    'GET /api/v1/lesions/{id}/report.dcm': async () => {
      const binary = (res: Response, done: (error: Error | null, body: Buffer) => void) => {
        const chunks: Buffer[] = [];
        const stream = res as unknown as NodeJS.ReadableStream;
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => done(null, Buffer.concat(chunks)));
      };
      const sr = await http().get(`/api/v1/lesions/${own.id}/report.dcm`).set(bearer(scopedReader)).buffer(true).parse(binary).expect(200);
      expect(sr.body.toString('latin1')).toMatch(/lesion \d+/);
      expectNoOther(sr);
      await http().get(`/api/v1/lesions/${theirs}/report.dcm`).set(bearer(scopedReader)).expect(404);
    },
    'GET /api/v1/lesions/{id}/report.fhir.json': async () => {
      const fhir = await get(`/api/v1/lesions/${own.id}/report.fhir.json`);
      expect(fhir.text).toMatch(/Similar archived lesion/);
      await http().get(`/api/v1/lesions/${theirs}/report.fhir.json`).set(bearer(scopedReader)).expect(404);
    },
    'POST /api/v1/lesions/{id}/report/stow': async () => {
      await http().post(`/api/v1/lesions/${theirs}/report/stow`).set(bearer(scopedCurator)).send({ source: 'pacs' }).expect(404);
    },
    'POST /api/v1/detections/from-point/report': async () => {
      const res = await upload('/api/v1/detections/from-point/report', { x: String(own.cx), y: String(own.cy), k: '20', format: 'fhir' }).expect(200);
      expect(res.text).toMatch(/Similar archived lesion/);
      expectNoOther(res);
      await upload('/api/v1/detections/from-point/report', { x: String(own.cx), y: String(own.cy), format: 'fhir', dataset: OTHER }).expect(403);
    },
    'GET /api/v1/me': async () => {
      expect((await get('/api/v1/me')).body).toEqual({ name: 'sample-reader', role: 'reader', datasets: [SAMPLE_DATASET] });
    },
    // Admin routes: a scoped admin stays inside its datasets.
    'POST /api/v1/admin/ingest': async () => {
      const refused = await http()
        .post('/api/v1/admin/ingest')
        .set(bearer(scopedAdmin))
        .send({ format: 'deeplesion', csv: 'DL_info.csv', images: 'Images_png', dataset: OTHER })
        .expect(403);
      expect(refused.body.message).toMatch(/limited to the datasets/);
    },
    'GET /api/v1/admin/ingest/jobs': async () => {
      const jobs = (await get('/api/v1/admin/ingest/jobs', scopedAdmin)).body as { dataset: string }[];
      expect(jobs.map((j) => j.dataset)).toEqual([SAMPLE_DATASET]);
    },
    'GET /api/v1/admin/ingest/jobs/{id}': async () => {
      const all = (await http().get('/api/v1/admin/ingest/jobs').set(bearer(t.adminKey)).expect(200)).body as { id: string; dataset: string }[];
      await http()
        .get(`/api/v1/admin/ingest/jobs/${all.find((j) => j.dataset === OTHER)!.id}`)
        .set(bearer(scopedAdmin))
        .expect(404);
      await get(`/api/v1/admin/ingest/jobs/${all.find((j) => j.dataset === SAMPLE_DATASET)!.id}`, scopedAdmin);
    },
    'DELETE /api/v1/lesions/{id}': async () => {
      await http().delete(`/api/v1/lesions/${theirs}`).set(bearer(scopedAdmin)).expect(404);
      await http().get(`/api/v1/lesions/${theirs}`).set(bearer(t.reader)).expect(200);
    },
    'POST /api/v1/admin/keys': async () => {
      const made = (await post('/api/v1/admin/keys', { name: 'made by site admin', role: 'admin' }, scopedAdmin, 201)).body;
      expect(made.datasets).toEqual([SAMPLE_DATASET]);
      await http()
        .post('/api/v1/admin/keys')
        .set(bearer(scopedAdmin))
        .send({ name: 'wider', role: 'admin', datasets: [OTHER] })
        .expect(403);
      await http()
        .post('/api/v1/admin/keys')
        .set(bearer(t.adminKey))
        .send({ name: 'bad', role: 'reader', datasets: ['Bad Name'] })
        .expect(400);
      await http().post('/api/v1/admin/keys').set(bearer(t.adminKey)).send({ name: 'bad', role: 'reader', datasets: [] }).expect(400);
    },
    'GET /api/v1/admin/keys': async () => {
      const keys = (await get('/api/v1/admin/keys', scopedAdmin)).body as { name: string; datasets: string[] | null }[];
      expect(keys.every((k) => k.datasets?.every((d) => d === SAMPLE_DATASET))).toBe(true);
      expect(keys.map((k) => k.name)).toContain('sample-reader');
      expect(keys.map((k) => k.name)).not.toContain('test-admin');
    },
    'DELETE /api/v1/admin/keys/{id}': async () => {
      const unscoped = (await http().get('/api/v1/admin/keys').set(bearer(t.adminKey)).expect(200)).body.find(
        (k: { name: string }) => k.name === 'test-reader',
      );
      await http().delete(`/api/v1/admin/keys/${unscoped.id}`).set(bearer(scopedAdmin)).expect(404);
    },
    'GET /api/v1/admin/audit': async () => {
      await http().get('/api/v1/admin/audit').set(bearer(scopedAdmin)).expect(403);
    },
    'POST /api/v1/admin/models': async () => {
      const refused = await http().post('/api/v1/admin/models').set(bearer(scopedAdmin)).send({ name: 'default-scattering' }).expect(403);
      expect(refused.body.message).toMatch(/encoder serves every dataset/);
    },
    'POST /api/v1/admin/models/{id}/activate': async () => {
      await http()
        .post(`/api/v1/admin/models/${'a'.repeat(64)}/activate`)
        .set(bearer(scopedAdmin))
        .expect(403);
    },
    'POST /api/v1/admin/tags/import-labels': async () => {
      await http()
        .post('/api/v1/admin/tags/import-labels')
        .set(bearer(scopedAdmin))
        .field('dataset', OTHER)
        .attach('file', Buffer.from('[]'), 'labels.json')
        .expect(403);
    },
    // Routes that answer with no lesion, patient or study of any dataset.
    'GET /api/v1/vocabulary/terms': 'the vocabulary: terms, synonyms and parents, no lesions or counts',
    'GET /api/v1/vocabulary/terms/{name}': 'one vocabulary term, no lesions or counts',
    'GET /api/v1/vocabulary/suggest': 'type-ahead over term names, no lesions',
    'POST /api/v1/detections/jobs': 'detection over a server folder (curator): boxes per slice, no archived lesions',
    'POST /api/v1/uploads/preview': 'the caller’s own upload decoded to a PNG, no archived lesions',
    'GET /api/v1/detections/jobs/{id}': 'a detection job: boxes per slice of the folder it was given, no archived lesions',
    'POST /api/v1/admin/vocabulary/import': 'admin: the shared vocabulary (terms only)',
    'POST /api/v1/admin/tags/predict': 'admin: recomputes predicted tags, answers a run id',
    'GET /api/v1/admin/tags/predict': 'admin: tag prediction run status (counts of the model, no lesions)',
    'GET /api/v1/admin/models': 'admin: encoder models with status and embedding counts, no lesions',
    'GET /health/live': 'public probe',
    'GET /health/ready': 'public probe',
    'GET /metrics': 'public Prometheus scrape: process metrics, no lesions',
  };

  it('the route table names every operation of the OpenAPI document, and nothing else', async () => {
    const doc = (await http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(doc.paths).flatMap(([route, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${route}`));
    expect(operations.filter((op) => !(op in PROBES)).map((op) => `${op}: add a probe to dataset-scope.e2e.spec.ts (or an exemption with its reason)`)).toEqual(
      [],
    );
    expect(Object.keys(PROBES).filter((op) => !operations.includes(op))).toEqual([]);
  });

  for (const [operation, probe] of Object.entries(PROBES)) {
    if (typeof probe === 'string') continue;
    it(`${operation}: only the key's dataset, and the other asked for is 403/404`, probe, 120_000);
  }
});
