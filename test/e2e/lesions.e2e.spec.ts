import { DataSource } from 'typeorm';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decode } from 'fast-png';
import { parseCsv } from '../../src/deeplesion/csv';
import { SampleService } from '../../src/sample/sample.service';
import { covers } from '../helpers/route-coverage';
import { bearer, createTestApp, TestApp } from '../helpers/test-app';

/** The sample's DL_info.csv read independently of the importer: the ground truth for every filter. */
interface Truth {
  fileName: string;
  patient: number;
  study: number;
  type: number;
  noisy: boolean;
  split: number;
  sex: string;
  age: number | null;
  longMm: number;
}

function readTruth(csvPath: string): Truth[] {
  const [header, ...rows] = parseCsv(fs.readFileSync(csvPath, 'utf8'));
  const col = (name: string) => header.fields.indexOf(name);
  return rows.map(({ fields: f }) => ({
    fileName: f[col('File_name')],
    patient: Number(f[col('Patient_index')]),
    study: Number(f[col('Study_index')]),
    type: Number(f[col('Coarse_lesion_type')]),
    noisy: f[col('Possibly_noisy')] === '1',
    split: Number(f[col('Train_Val_Test')]),
    sex: f[col('Patient_gender')],
    age: f[col('Patient_age')] === 'NaN' ? null : Number(f[col('Patient_age')]),
    longMm: Number(f[col('Lesion_diameters_Pixel_')].split(',')[0]) * Number(f[col('Spacing_mm_px_')].split(',')[0]),
  }));
}

describe('lesion read API on the synthetic sample (e2e)', () => {
  let t: TestApp;
  let truth: Truth[];
  let key: string;
  let sampleJobId: string;

  beforeAll(async () => {
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false' });
    const job = await t.app.get(SampleService).ensureIngested();
    expect(job.status).toBe('completed');
    expect(job.skippedRows).toBe(0);
    sampleJobId = job.id;
    truth = readTruth(path.join(t.config.sample.dir, 'DL_info.csv'));
    key = await t.keyFor('reader');
  });
  afterAll(async () => t?.close());

  async function listAll(query: string): Promise<{ total: number; files: string[] }> {
    const res = await t.http().get(`/api/v1/lesions?limit=500&${query}`).set(bearer(key)).expect(200);
    return { total: res.body.total, files: res.body.items.map((l: { sourceFileName: string }) => l.sourceFileName).sort() };
  }

  const expectFiles = (rows: Truth[]) => ({ total: rows.length, files: rows.map((r) => r.fileName).sort() });

  it('embeds every lesion with the default encoder while importing', async () => {
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info.encoder).toMatchObject({ status: 'up', model: 'default-scattering', modelId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const [{ n, models }] = await t.app.get(DataSource).query('SELECT count(*)::int AS n, count(DISTINCT model_id)::int AS models FROM lesion_embedding');
    expect({ n, models }).toEqual({ n: truth.length, models: 1 });
    const jobs = await t.http().get('/api/v1/admin/ingest/jobs').set(bearer(t.adminKey)).expect(200);
    expect(jobs.body[0].embeddedRows).toBe(truth.length);
  });

  it('imports the sample once: the next start finds it done', async () => {
    const again = await t.app.get(SampleService).ensureIngested();
    expect(again.id).toBe(sampleJobId);
    const jobs = await t.http().get('/api/v1/admin/ingest/jobs').set(bearer(t.adminKey)).expect(200);
    expect(jobs.body).toHaveLength(1);
  });

  it('has every lesion of the sample, with all 8 coarse types', async () => {
    covers('GET /api/v1/lesions', 'success');
    expect(await listAll('')).toEqual(expectFiles(truth));
    const types = new Set(truth.map((r) => r.type));
    for (const type of [1, 2, 3, 4, 5, 6, 7, 8]) expect(types.has(type)).toBe(true);
  });

  it('filters by coarse type (one or several)', async () => {
    expect(await listAll('coarseType=4')).toEqual(expectFiles(truth.filter((r) => r.type === 4)));
    expect(await listAll('coarseType=5,6')).toEqual(expectFiles(truth.filter((r) => r.type === 5 || r.type === 6)));
    expect(await listAll('coarseType=1&coarseType=8')).toEqual(expectFiles(truth.filter((r) => r.type === 1 || r.type === 8)));
  });

  it('filters by sex, age range, diameter range, split and the noisy flag', async () => {
    expect(await listAll('sex=F')).toEqual(expectFiles(truth.filter((r) => r.sex === 'F')));
    expect(await listAll('ageMin=40&ageMax=65')).toEqual(expectFiles(truth.filter((r) => r.age !== null && r.age >= 40 && r.age <= 65)));
    // Bounds away from any lesion's size, so float rounding in storage cannot flip a lesion.
    const sizes = truth.map((r) => r.longMm).sort((a, b) => a - b);
    const lo = (sizes[Math.floor(sizes.length / 4)] + sizes[Math.floor(sizes.length / 4) + 1]) / 2;
    const hi = (sizes[Math.floor((3 * sizes.length) / 4)] + sizes[Math.floor((3 * sizes.length) / 4) + 1]) / 2;
    expect(await listAll(`diameterMinMm=${lo}&diameterMaxMm=${hi}`)).toEqual(expectFiles(truth.filter((r) => r.longMm >= lo && r.longMm <= hi)));
    expect(await listAll('split=test')).toEqual(expectFiles(truth.filter((r) => r.split === 3)));
    expect(await listAll('split=train,val')).toEqual(expectFiles(truth.filter((r) => r.split !== 3)));
    expect(await listAll('noisy=true')).toEqual(expectFiles(truth.filter((r) => r.noisy)));
    expect(await listAll('noisy=false')).toEqual(expectFiles(truth.filter((r) => !r.noisy)));
  });

  it('filters by patient and study, and combines filters', async () => {
    const patient = truth.find((r) => truth.some((o) => o.patient === r.patient && o.study !== r.study))!.patient;
    expect(await listAll(`patient=${patient}`)).toEqual(expectFiles(truth.filter((r) => r.patient === patient)));
    expect(await listAll(`patient=${patient}&study=2`)).toEqual(expectFiles(truth.filter((r) => r.patient === patient && r.study === 2)));
    expect(await listAll('coarseType=5&sex=M&split=train')).toEqual(expectFiles(truth.filter((r) => r.type === 5 && r.sex === 'M' && r.split === 1)));
  });

  it('paginates in a stable order', async () => {
    const first = await t.http().get('/api/v1/lesions?limit=10&offset=0').set(bearer(key)).expect(200);
    const second = await t.http().get('/api/v1/lesions?limit=10&offset=10').set(bearer(key)).expect(200);
    expect(first.body).toMatchObject({ total: truth.length, offset: 0, limit: 10 });
    expect(first.body.items).toHaveLength(10);
    const ids = [...first.body.items, ...second.body.items].map((l: { id: number }) => l.id);
    expect(new Set(ids).size).toBe(20);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('refuses bad filters with 400 and a clear message', async () => {
    covers('GET /api/v1/lesions', 'bad-input');
    // Each bad filter with the words its message must contain (the validator's, or ours).
    const cases: [string, RegExp][] = [
      ['coarseType=9', /coarseType must be -1 or 1\.\.8/],
      ['limit=1000', /limit must not be greater than/],
      ['sex=X', /sex must be one of/],
      ['split=holdout', /each value in split must be one of the following values: train, val, test/],
      ['ageMin=70&ageMax=20', /ageMin must not exceed ageMax/],
      ['unknownFilter=1', /property unknownFilter should not exist/],
      ['noisy=maybe', /noisy must be a boolean value/],
    ];
    for (const [query, message] of cases) {
      const res = await t.http().get(`/api/v1/lesions?${query}`).set(bearer(key));
      expect({ query, status: res.status, message: [res.body.message].flat().join('; ') }).toEqual({
        query,
        status: 400,
        message: expect.stringMatching(message),
      });
    }
  });

  it('returns all metadata of one lesion, and 404/400 for missing or malformed ids', async () => {
    covers('GET /api/v1/lesions/{id}', 'success');
    const row = truth[0];
    const list = await t.http().get(`/api/v1/lesions?patient=${row.patient}&study=${row.study}`).set(bearer(key)).expect(200);
    const id = list.body.items.find((l: { sourceFileName: string }) => l.sourceFileName === row.fileName).id;
    const lesion = (await t.http().get(`/api/v1/lesions/${id}`).set(bearer(key)).expect(200)).body;
    expect(lesion).toMatchObject({
      id,
      dataset: 'synthetic-sample',
      patient: { index: row.patient, sex: row.sex },
      study: { index: row.study, studyInstanceUid: null },
      coarseType: { code: row.type },
      possiblyNoisy: row.noisy,
      sourceFileName: row.fileName,
      sourceRow: 0,
      patchUrl: `/api/v1/lesions/${id}/patch.png`,
    });
    expect(lesion.recist).toHaveLength(8);
    expect(lesion.diameters.longAxisMm).toBeCloseTo(row.longMm, 3);
    expect(lesion.series.spacingMm.x).toBeGreaterThan(0);
    expect(JSON.stringify(lesion)).not.toContain(t.config.sample.dir);
    await t.http().get('/api/v1/lesions/999999').set(bearer(key)).expect(404);
    await t.http().get('/api/v1/lesions/abc').set(bearer(key)).expect(400);
  });

  it('renders the lesion patch as a PNG in the chosen window, with or without the box', async () => {
    covers('GET /api/v1/lesions/{id}/patch.png', 'success');
    const { items } = (await t.http().get('/api/v1/lesions?coarseType=5&limit=1').set(bearer(key)).expect(200)).body;
    const url = items[0].patchUrl;
    const boxed = await t.http().get(`${url}?window=lung&size=96`).set(bearer(key)).buffer(true).expect(200);
    expect(boxed.headers['content-type']).toBe('image/png');
    const png = decode(boxed.body);
    expect([png.width, png.height, png.channels]).toEqual([96, 96, 3]);
    const plain = decode((await t.http().get(`${url}?window=lung&size=96&box=false`).set(bearer(key)).buffer(true).expect(200)).body);
    const yellow = (img: typeof png) => {
      let n = 0;
      for (let i = 0; i < img.data.length; i += 3) if (img.data[i] === 255 && img.data[i + 1] === 210 && img.data[i + 2] === 0) n++;
      return n;
    };
    expect(yellow(png)).toBeGreaterThan(20);
    expect(yellow(plain)).toBe(0);
    const soft = decode((await t.http().get(`${url}?window=-160,240&size=96&box=false`).set(bearer(key)).buffer(true).expect(200)).body);
    expect(Buffer.compare(Buffer.from(soft.data), Buffer.from(plain.data))).not.toBe(0);
    await t.http().get(`${url}?window=purple`).set(bearer(key)).expect(400);
    await t.http().get(`${url}?window=300,100`).set(bearer(key)).expect(400);
    await t.http().get(`${url}?size=4096`).set(bearer(key)).expect(400);
  });

  it('counts the archive by type, split and sex', async () => {
    covers('GET /api/v1/stats', 'success');
    const stats = (await t.http().get('/api/v1/stats').set(bearer(key)).expect(200)).body;
    expect(stats.totals.lesions).toBe(truth.length);
    expect(stats.totals.patients).toBe(new Set(truth.map((r) => r.patient)).size);
    const liver = stats.byCoarseType.find((r: { code: number }) => r.code === 4);
    expect(liver).toEqual({ code: 4, name: 'liver', count: truth.filter((r) => r.type === 4).length });
    expect(stats.bySplit.find((r: { split: string }) => r.split === 'test').count).toBe(truth.filter((r) => r.split === 3).length);
    expect(stats.bySex.reduce((n: number, r: { count: number }) => n + r.count, 0)).toBe(truth.length);
  });
});
