import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encode as encodePng } from 'fast-png';
import * as jpeg from 'jpeg-js';
import { DataSource } from 'typeorm';
import { writeDicom } from '../../src/imaging/dicom-writer.testing';
import { SampleService } from '../../src/sample/sample.service';
import { covers } from '../helpers/route-coverage';
import { bearer, createTestApp, SHARED_DIR, TEST_SAMPLE_DIR, TestApp, waitFor } from '../helpers/test-app';

interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

const iou = (a: Box, b: Box) => {
  const iw = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const ih = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = iw * ih;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
};

const REAL_SAMPLES = path.join(SHARED_DIR, 'data', 'deeplesion-samples');
const MAX_UPLOAD = 4 * 1024 * 1024;

describe('detection (e2e)', () => {
  let t: TestApp;
  let reader: string;
  type LesionRow = { id: number; image_path: string; box_x1: number; box_y1: number; box_x2: number; box_y2: number; spacing_x_mm: number };
  let lesion: LesionRow;
  let lesions: LesionRow[];

  beforeAll(async () => {
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false', DETECTION_SERIES_ROOT: TEST_SAMPLE_DIR, MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
    expect((await t.app.get(SampleService).ensureIngested()).status).toBe('completed');
    reader = await t.keyFor('reader');
    lesions = await t.app
      .get(DataSource)
      .query(
        `SELECT l.id, l.image_path, l.box_x1, l.box_y1, l.box_x2, l.box_y2, s.spacing_x_mm FROM lesion l JOIN series s ON s.id = l.series_id WHERE l.coarse_type <> 7 ORDER BY l.id LIMIT 6`,
      );
    // (The phantom's soft-tissue lesions are faint, about 10 HU above muscle: left out of these spot checks; the
    // evaluation in docs/BENCHMARKS.md covers all of them.)
    lesion = lesions[0];
  });
  afterAll(async () => t?.close());

  const post = (route: string, file: Buffer | null, fields: Record<string, string> = {}, key = reader) => {
    const req = t.http().post(`/api/v1/detections${route}`).set(bearer(key));
    if (file) req.attach('file', file, 'slice.bin');
    for (const [name, value] of Object.entries(fields)) req.field(name, value);
    return req;
  };

  it('detects lesion boxes on a sample slice, in its pixel coordinates, best first, with similar lesions on request', async () => {
    covers('POST /api/v1/detections', 'success');
    const slice = fs.readFileSync(lesion.image_path);
    const res = await post('', slice, { spacingMm: String(lesion.spacing_x_mm), scoreThreshold: '0' }).expect(200);
    expect(res.body.detector).toMatchObject({ name: 'default-blob', modelId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(res.body.image).toMatchObject({ width: 512, height: 512, source: 'png16' });
    const boxes: { box: Box; score: number }[] = res.body.detections;
    expect(boxes.length).toBeGreaterThan(0);
    for (const { box } of boxes) {
      expect(box.x1).toBeGreaterThanOrEqual(0);
      expect(box.y1).toBeGreaterThanOrEqual(0);
      expect(box.x2).toBeLessThanOrEqual(512);
      expect(box.y2).toBeLessThanOrEqual(512);
      expect(box.x2).toBeGreaterThan(box.x1);
    }
    const scores = boxes.map((b) => b.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // The synthetic lesions are found: over a few slices, at least one box holds a lesion's centre
    // (the detector's sensitivity itself is measured by npm run eval -- detection).
    let found = 0;
    for (const l of lesions) {
      const r = await post('', fs.readFileSync(l.image_path), { scoreThreshold: '0' }).expect(200);
      const cx = (l.box_x1 + l.box_x2) / 2;
      const cy = (l.box_y1 + l.box_y2) / 2;
      if (r.body.detections.some(({ box }: { box: Box }) => box.x1 <= cx && cx <= box.x2 && box.y1 <= cy && cy <= box.y2)) found++;
    }
    expect(found).toBeGreaterThan(0);

    const enriched = await post('', slice, { include: 'similar,tags', k: '3', maxDetections: '2' }).expect(200);
    expect(enriched.body.detections).toHaveLength(2);
    for (const d of enriched.body.detections) {
      expect(d.similar).toHaveLength(3);
      expect(d.similar[0]).toMatchObject({ lesion: { id: expect.any(Number) }, similarity: expect.any(Number) });
      expect(Array.isArray(d.tags)).toBe(true);
      for (const tag of d.tags) expect(tag).toEqual({ term: expect.any(String), confidence: expect.any(Number) });
    }
    expect(enriched.body.tagPrediction).toBe('available');
  });

  it('turns a click inside a lesion into its box, axes in mm, similar lesions and tags', async () => {
    covers('POST /api/v1/detections/from-point', 'success');
    const slice = fs.readFileSync(lesion.image_path);
    const truth = { x1: lesion.box_x1, y1: lesion.box_y1, x2: lesion.box_x2, y2: lesion.box_y2 };
    const x = (truth.x1 + truth.x2) / 2;
    const y = (truth.y1 + truth.y2) / 2;
    const res = await post('/from-point', slice, { x: String(x), y: String(y), spacingMm: String(lesion.spacing_x_mm), k: '5' }).expect(200);
    // Over a few lesions most boxes match (about three in four on the whole sample: docs/BENCHMARKS.md).
    const ious: number[] = [];
    for (const l of lesions) {
      const r = await post('/from-point', fs.readFileSync(l.image_path), {
        x: String((l.box_x1 + l.box_x2) / 2),
        y: String((l.box_y1 + l.box_y2) / 2),
        include: '',
      }).expect(200);
      ious.push(iou(r.body.box, { x1: l.box_x1, y1: l.box_y1, x2: l.box_x2, y2: l.box_y2 }));
    }
    expect(ious.filter((v) => v >= 0.5).length).toBeGreaterThanOrEqual(lesions.length / 2);
    expect(res.body.longAxisMm).toBeCloseTo(res.body.longAxisPx * lesion.spacing_x_mm, 0);
    expect(res.body.shortAxisMm).toBeLessThanOrEqual(res.body.longAxisMm);
    // The outline: a polygon inside the box, and RECIST axes on it (mm from the spacing).
    const { contour, longAxis, shortAxis, box } = res.body;
    expect(contour.length).toBeGreaterThanOrEqual(3);
    for (const p of contour) {
      expect(p.x).toBeGreaterThanOrEqual(box.x1);
      expect(p.x).toBeLessThanOrEqual(box.x2);
      expect(p.y).toBeGreaterThanOrEqual(box.y1);
      expect(p.y).toBeLessThanOrEqual(box.y2);
    }
    expect(longAxis.lengthPx).toBeCloseTo(Math.hypot(longAxis.to.x - longAxis.from.x, longAxis.to.y - longAxis.from.y), 0);
    expect(longAxis.lengthMm).toBeCloseTo(longAxis.lengthPx * lesion.spacing_x_mm, 0);
    expect(shortAxis.lengthPx).toBeGreaterThan(0);
    expect(shortAxis.lengthPx).toBeLessThanOrEqual(longAxis.lengthPx);
    expect(res.body.similar).toHaveLength(5);
    // The archive holds this lesion with its mined report tags: its own type is among the predictions.
    expect(res.body.tagPrediction).toBe('available');
    expect(res.body.tags.length).toBeGreaterThan(0);
    const [{ name: ownType }] = await t.app
      .get(DataSource)
      .query(`SELECT v.name FROM lesion_tag t JOIN vocabulary_term v ON v.id = t.term_id WHERE t.lesion_id = $1 AND t.source = 'coarse_type'`, [lesion.id]);
    expect(res.body.tags.map((t: { term: string }) => t.term)).toContain(ownType);
  });

  const realSamples = fs.existsSync(path.join(REAL_SAMPLES, 'lesions.csv'));
  (realSamples ? it : it.skip)('works on a real DeepLesion key slice (8-bit JPEG with its HU window)', async () => {
    const [, row] = fs.readFileSync(path.join(REAL_SAMPLES, 'lesions.csv'), 'utf8').trim().split('\n');
    const c = row.split(',');
    const jpg = fs.readFileSync(path.join(REAL_SAMPLES, 'images', c[0]));
    const truth = { x1: +c[8], y1: +c[9], x2: +c[10], y2: +c[11] };
    const res = await post('', jpg, { huWindow: '-1024,3071', scoreThreshold: '0' }).expect(200);
    expect(res.body.image).toMatchObject({ width: 512, height: 512, source: 'gray8', spacingMm: null });
    expect(res.body.detections.length).toBeGreaterThan(0);
    const point = await post('/from-point', jpg, {
      huWindow: '-1024,3071',
      x: String((truth.x1 + truth.x2) / 2),
      y: String((truth.y1 + truth.y2) / 2),
      include: '',
    }).expect(200);
    expect(point.body.longAxisMm).toBeNull();
    expect(point.body.longAxis.lengthMm).toBeNull();
    expect(point.body.longAxis.lengthPx).toBeGreaterThan(0);
    expect(point.body.box.x2).toBeGreaterThan(point.body.box.x1);
  });
  if (!realSamples) console.log(`skipping the real-slice detection test: ${REAL_SAMPLES} is absent`);

  it('refuses bad inputs with clear 4xx errors', async () => {
    covers('POST /api/v1/detections', 'bad-input');
    covers('POST /api/v1/detections/from-point', 'bad-input');
    const slice = fs.readFileSync(lesion.image_path);
    const png16 = (w: number, h: number, hu: number) =>
      Buffer.from(encodePng({ width: w, height: h, data: new Uint16Array(w * h).fill(32768 + hu), depth: 16, channels: 1 }));
    const colour = Buffer.from(
      jpeg.encode({ width: 64, height: 64, data: Buffer.from(Array.from({ length: 64 * 64 * 4 }, (_, i) => (i % 4 === 0 ? 200 : i % 4 === 1 ? 30 : 90))) }, 90)
        .data,
    );
    const expectError = async (req: ReturnType<typeof post>, status: number, message: RegExp) => {
      const res = await req;
      const text = [res.body.message].flat().join('; ');
      expect({ status: res.status, message: text }).toEqual({ status, message: expect.stringMatching(message) });
      expect(JSON.stringify(res.body)).not.toMatch(/\/tmp|\/work|at .*\.ts/);
    };
    await expectError(post('', png16(32, 32, 40)), 422, /32x32.*64 to 2048/);
    await expectError(post('', png16(512, 512, -1000)), 422, /no body found/);
    await expectError(post('', colour), 422, /HU window/);
    await expectError(post('', colour, { huWindow: '-1024,3071' }), 422, /colour image/);
    await expectError(
      post('', Buffer.from(writeDicom({ rows: 128, columns: 128, pixels: new Array(128 * 128).fill(1000), truncateBy: 5000 }))),
      422,
      /truncated DICOM: pixel data declares \d+ bytes but only \d+ are present/,
    );
    await expectError(post('/from-point', slice, { x: '2', y: '2' }), 422, /the point is outside the body/);
    await expectError(post('/from-point', slice, { x: '600', y: '10' }), 400, /outside the 512x512 slice/);
    await expectError(post('', null), 400, /multipart file field "file"/);
    await expectError(post('', slice, { include: 'similar,bogus' }), 400, /include takes similar/);
    await expectError(post('', slice, { neighbourOffsetsMm: '2' }), 400, /0 neighbouring slice file\(s\) but 1 offset/);
    await expectError(post('', Buffer.from('not an image at all')), 415, /unsupported image format/);
    await expectError(post('', Buffer.alloc(MAX_UPLOAD + 1024, 1)), 413, /too large/);
    await expectError(t.http().post('/api/v1/detections'), 401, /valid API key is required/);
  });

  it('runs a detection job over a series folder with progress (curator), only under the configured root', async () => {
    covers('POST /api/v1/detections/jobs', 'success', 'bad-input');
    covers('GET /api/v1/detections/jobs/{id}', 'success');
    const series = fs.readdirSync(path.join(TEST_SAMPLE_DIR, 'Images_png')).sort()[0];
    const slices = fs.readdirSync(path.join(TEST_SAMPLE_DIR, 'Images_png', series)).filter((f) => f.endsWith('.png'));
    const curator = await t.keyFor('curator');
    await t
      .http()
      .post('/api/v1/detections/jobs')
      .set(bearer(reader))
      .send({ series: `Images_png/${series}` })
      .expect(403);
    const started = await t
      .http()
      .post('/api/v1/detections/jobs')
      .set(bearer(curator))
      .send({ series: `Images_png/${series}`, scoreThreshold: 0 })
      .expect(202);
    expect(started.body).toMatchObject({ id: expect.any(String), total: slices.length, series: `Images_png/${series}` });
    const done = await waitFor(async () => {
      const res = await t.http().get(`/api/v1/detections/jobs/${started.body.id}`).set(bearer(curator)).expect(200);
      expect(res.body.done).toBeLessThanOrEqual(res.body.total);
      return res.body.status === 'completed' ? res.body : null;
    }, 120_000);
    expect(done.done).toBe(slices.length);
    expect(done.failed).toBe(0);
    expect(done.results).toHaveLength(slices.length);
    expect(done.results[0]).toMatchObject({ slice: expect.stringMatching(/\.png$/), detections: expect.any(Array) });
    const outside = await t.http().post('/api/v1/detections/jobs').set(bearer(curator)).send({ series: '../../etc' }).expect(400);
    expect(outside.body.message).toMatch(/must lie under the configured DETECTION_SERIES_ROOT/);
    expect((await t.http().post('/api/v1/detections/jobs').set(bearer(curator)).send({ series: 'Images_png/nope' }).expect(400)).body.message).toMatch(
      /does not exist/,
    );
    await t.http().get('/api/v1/detections/jobs/00000000-0000-4000-8000-000000000000').set(bearer(curator)).expect(404);
  });
  it('fails, slice by slice, a file in a series folder symlinked to a file outside DETECTION_SERIES_ROOT, and reads the rest', async () => {
    const series = fs.readdirSync(path.join(TEST_SAMPLE_DIR, 'Images_png')).sort()[0];
    const source = path.join(TEST_SAMPLE_DIR, 'Images_png', series);
    const [first, second] = fs
      .readdirSync(source)
      .filter((f) => f.endsWith('.png'))
      .sort();
    // A folder of its own under the root (the sample's folders are shared with other test files).
    const folder = fs.mkdtempSync(path.join(TEST_SAMPLE_DIR, '.detection-symlink-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'detection-outside-'));
    try {
      fs.copyFileSync(path.join(source, first), path.join(folder, '001.png'));
      fs.copyFileSync(path.join(source, second), path.join(outside, 'secret.png'));
      fs.symlinkSync(path.join(outside, 'secret.png'), path.join(folder, '002.png'));
      const curator = await t.keyFor('curator');
      const started = await t
        .http()
        .post('/api/v1/detections/jobs')
        .set(bearer(curator))
        .send({ series: path.basename(folder), scoreThreshold: 0 })
        .expect(202);
      const done = await waitFor(async () => {
        const res = await t.http().get(`/api/v1/detections/jobs/${started.body.id}`).set(bearer(curator)).expect(200);
        return res.body.status !== 'running' ? res.body : null;
      }, 120_000);
      expect(done).toMatchObject({ status: 'completed', total: 2, done: 2, failed: 1 });
      expect(done.errors).toEqual([{ slice: '002.png', message: '002.png: not found under DETECTION_SERIES_ROOT' }]);
      expect(done.results.map((r: { slice: string }) => r.slice)).toEqual(['001.png']);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
