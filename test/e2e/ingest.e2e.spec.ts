import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { DL_HEADER, dlInfoRow, FixtureLesion, pad, writeDeepLesionFixture } from '../helpers/fixtures';
import { covers } from '../helpers/route-coverage';
import { bearer, createTestApp, SHARED_DIR, TEST_MODELS_DIR, TestApp, waitFor } from '../helpers/test-app';

const ROOT = path.resolve(__dirname, '../..');

const MAX_CSV_BYTES = 64 * 1024;
const MAX_CSV_LINE = 2000;
const MAX_IMAGE_BYTES = 1024 * 1024;

describe('DeepLesion import (e2e)', () => {
  let t: TestApp;
  let dir: string;
  /** A folder outside INGEST_ROOTS. */
  let outside: string;
  let db: DataSource;
  const samples = path.join(SHARED_DIR, 'data/deeplesion-samples');

  beforeAll(async () => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-e2e-')));
    outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-e2e-outside-')));
    // /dev is a root here only so that the device checks behind the roots check are reached.
    t = await createTestApp({
      SAMPLE_AUTOLOAD: 'false',
      INGEST_BATCH_SIZE: '7',
      INGEST_ROOTS: [dir, samples, '/dev'].join(','),
      INGEST_MAX_CSV_BYTES: String(MAX_CSV_BYTES),
      INGEST_MAX_CSV_LINE_LENGTH: String(MAX_CSV_LINE),
      INGEST_MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES),
    });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  async function importViaApi(body: object) {
    const started = await t.http().post('/api/v1/admin/ingest').set(bearer(t.adminKey)).send(body).expect(202);
    expect(started.body.status).toBe('running');
    return waitFor(async () => {
      const res = await t.http().get(`/api/v1/admin/ingest/jobs/${started.body.id}`).set(bearer(t.adminKey)).expect(200);
      return res.body.status !== 'running' && res.body;
    });
  }

  const count = async (table: string) => Number((await db.query(`SELECT count(*) AS n FROM ${table}`))[0].n);

  it('imports the same file twice and ends with the same rows', async () => {
    covers('POST /api/v1/admin/ingest', 'success');
    const lesions: FixtureLesion[] = [];
    for (let p = 1; p <= 6; p++)
      for (let s = 1; s <= 2; s++)
        lesions.push({ patient: p, study: s, series: 1, slice: 10 + s }, { patient: p, study: s, series: 1, slice: 10 + s, box: [35, 35, 50, 50] });
    const { csv, images } = writeDeepLesionFixture(path.join(dir, 'twice'), lesions);
    const first = await importViaApi({ format: 'deeplesion', csv, images, dataset: 'twice' });
    expect(first).toMatchObject({ status: 'completed', totalRows: 24, processedRows: 24, importedRows: 24, skippedRows: 0, percent: 100 });
    expect(first.rowsPerSecond).toBeGreaterThan(0);
    const before = { patients: await count('patient'), studies: await count('study'), series: await count('series'), lesions: await count('lesion') };
    const ids = await db.query('SELECT id FROM lesion ORDER BY id');
    const second = await importViaApi({ format: 'deeplesion', csv, images, dataset: 'twice' });
    expect(second).toMatchObject({ status: 'completed', importedRows: 24 });
    expect(second.id).not.toBe(first.id);
    expect({ patients: await count('patient'), studies: await count('study'), series: await count('series'), lesions: await count('lesion') }).toEqual(before);
    expect(before).toEqual({ patients: 6, studies: 12, series: 12, lesions: 24 });
    expect(await db.query('SELECT id FROM lesion ORDER BY id')).toEqual(ids);
  });

  it('reports malformed rows and images with line numbers, skips them and imports the rest', async () => {
    const good: FixtureLesion[] = [1, 2, 3].map((i) => ({ patient: 100 + i, study: 1, series: 1, slice: 5 }));
    const sub = path.join(dir, 'bad');
    const bad = [
      dlInfoRow({ patient: 200, study: 1, series: 1, slice: 5 }).replace(/,1$/, ''), // line 5: a column short
      dlInfoRow({ patient: 201, study: 1, series: 1, slice: 5 }).replace(',60,', ',sixty,'), // line 6: unparsable age
      dlInfoRow({ patient: 202, study: 1, series: 1, slice: 5, box: [10, 10, 90, 20] }), // line 7: box outside the 64x64 image
      dlInfoRow({ patient: 203, study: 1, series: 1, slice: 5 }), // line 8: image missing
      dlInfoRow({ patient: 204, study: 1, series: 1, slice: 5 }), // line 9: image is not a PNG
      dlInfoRow({ patient: 205, study: 1, series: 1, slice: 5 }), // line 10: 8-bit where 16-bit is required
    ];
    const { csv, images } = writeDeepLesionFixture(sub, good, bad);
    fs.mkdirSync(path.join(images, `${pad(204, 6)}_01_01`), { recursive: true });
    fs.writeFileSync(path.join(images, `${pad(204, 6)}_01_01`, '005.png'), 'this is not an image');
    fs.mkdirSync(path.join(images, `${pad(205, 6)}_01_01`), { recursive: true });
    const { encode } = await import('fast-png');
    fs.writeFileSync(
      path.join(images, `${pad(205, 6)}_01_01`, '005.png'),
      encode({ width: 64, height: 64, data: new Uint8Array(64 * 64), depth: 8, channels: 1 }),
    );

    const before = await count('lesion');
    const job = await importViaApi({ format: 'deeplesion', csv, images, dataset: 'bad' });
    expect(job).toMatchObject({ status: 'completed', totalRows: 9, importedRows: 3, skippedRows: 6 });
    expect(job.errors.map((e: { line: number }) => e.line)).toEqual([5, 6, 7, 8, 9, 10]);
    const messages = job.errors.map((e: { message: string }) => e.message);
    expect(messages[0]).toMatch(/expected 18 columns/);
    expect(messages[1]).toMatch(/Patient_age/);
    expect(messages[2]).toMatch(/outside/);
    expect(messages[3]).toMatch(/image not found/);
    expect(messages[4]).toMatch(/not a PNG or JPEG/);
    expect(messages[5]).toMatch(/16-bit/);
    expect(JSON.stringify(job)).not.toContain(dir); // no server paths in the response
    expect((await count('lesion')) - before).toBe(3);
  });

  it('refuses a request that cannot start with a clear 400 and writes nothing', async () => {
    covers('POST /api/v1/admin/ingest', 'bad-input');
    const jobs = await count('ingest_job');
    const missing = await t
      .http()
      .post('/api/v1/admin/ingest')
      .set(bearer(t.adminKey))
      .send({ format: 'deeplesion', csv: path.join(dir, 'nope.csv'), images: dir })
      .expect(400);
    expect(missing.body.message).toMatch(/Cannot read the CSV file nope.csv: it does not exist under INGEST_ROOTS/);
    fs.writeFileSync(path.join(dir, 'wrong.csv'), 'a,b\n1,2\n');
    const header = await t
      .http()
      .post('/api/v1/admin/ingest')
      .set(bearer(t.adminKey))
      .send({ format: 'deeplesion', csv: path.join(dir, 'wrong.csv'), images: dir })
      .expect(400);
    expect(header.body.message).toMatch(/missing column/);
    await t.http().post('/api/v1/admin/ingest').set(bearer(t.adminKey)).send({ format: 'dicomdir', csv: 'x', images: 'y' }).expect(400);
    expect(await count('ingest_job')).toBe(jobs);
  });

  const startIngest = (body: object) => t.http().post('/api/v1/admin/ingest').set(bearer(t.adminKey)).send(body);
  const writesNothing = async (work: () => Promise<void>) => {
    const before = { jobs: await count('ingest_job'), lesions: await count('lesion') };
    await work();
    expect({ jobs: await count('ingest_job'), lesions: await count('lesion') }).toEqual(before);
  };

  it('refuses /dev/zero and /dev/urandom as the CSV at once with a 400 and imports nothing', async () => {
    await writesNothing(async () => {
      for (const device of ['zero', 'urandom']) {
        const res = await startIngest({ format: 'samples', csv: `/dev/${device}`, images: '/tmp' }).expect(400);
        expect(res.body.message).toBe(`Cannot read the CSV file ${device}: not a regular file (devices, FIFOs and sockets are refused)`);
      }
    });
  });

  it('refuses a FIFO as the CSV without opening it (a reader would wait for a writer forever)', async () => {
    const fifo = path.join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    await writesNothing(async () => {
      const res = await startIngest({ format: 'deeplesion', csv: fifo, images: dir }).expect(400);
      expect(res.body.message).toMatch(/pipe.csv: not a regular file/);
    });
  });

  it('answers a path outside INGEST_ROOTS the same whether it exists or not, symlinked CSVs and folders included', async () => {
    const real = path.join(outside, 'real');
    const { csv, images } = writeDeepLesionFixture(real, [{ patient: 700, study: 1, series: 1, slice: 5 }]);
    fs.symlinkSync(csv, path.join(dir, 'DL_info.csv'));
    fs.symlinkSync(images, path.join(dir, 'images-out'));
    const { images: imagesInside } = writeDeepLesionFixture(path.join(dir, 'roots-ok'), []);
    await writesNothing(async () => {
      const csvMessages = [];
      for (const target of [
        csv,
        path.join(outside, 'missing', 'DL_info.csv'),
        path.join(dir, 'DL_info.csv'),
        path.join(dir, '..', path.basename(outside), 'real', 'DL_info.csv'),
      ]) {
        csvMessages.push((await startIngest({ format: 'deeplesion', csv: target, images: imagesInside }).expect(400)).body.message);
      }
      expect(csvMessages[0]).toBe('Cannot read the CSV file DL_info.csv: it does not exist under INGEST_ROOTS');
      expect(new Set(csvMessages)).toEqual(new Set([csvMessages[0]]));
      fs.writeFileSync(path.join(dir, 'inside.csv'), fs.readFileSync(csv));
      const folderMessages = [];
      for (const target of [images, path.join(outside, 'missing', 'Images_png'), path.join(dir, 'images-out')]) {
        folderMessages.push((await startIngest({ format: 'deeplesion', csv: path.join(dir, 'inside.csv'), images: target }).expect(400)).body.message);
      }
      expect(folderMessages[0]).toBe('Cannot read the images folder Images_png: it does not exist under INGEST_ROOTS');
      expect(folderMessages[1]).toBe(folderMessages[0]);
      expect(folderMessages[2]).toBe('Cannot read the images folder images-out: it does not exist under INGEST_ROOTS');
    });
  });

  it('refuses, row by row, a symlinked image pointing outside the roots and an image over INGEST_MAX_IMAGE_BYTES, and imports the rest', async () => {
    const lesions: FixtureLesion[] = [1, 2, 3, 4].map((i) => ({ patient: 800 + i, study: 1, series: 1, slice: 5 }));
    const { csv, images } = writeDeepLesionFixture(path.join(dir, 'image-links'), lesions);
    const linked = path.join(images, `${pad(802, 6)}_01_01`, '005.png');
    fs.copyFileSync(linked, path.join(outside, 'slice.png'));
    fs.rmSync(linked);
    fs.symlinkSync(path.join(outside, 'slice.png'), linked);
    const inRoots = path.join(images, `${pad(803, 6)}_01_01`, '005.png');
    fs.renameSync(inRoots, path.join(dir, 'slice-in-roots.png'));
    fs.symlinkSync(path.join(dir, 'slice-in-roots.png'), inRoots);
    const big = path.join(images, `${pad(804, 6)}_01_01`, '005.png');
    fs.writeFileSync(big, Buffer.concat([fs.readFileSync(path.join(dir, 'slice-in-roots.png')), Buffer.alloc(MAX_IMAGE_BYTES)]));

    const job = await importViaApi({ format: 'deeplesion', csv, images, dataset: 'image-links' });
    expect(job).toMatchObject({ status: 'completed', totalRows: 4, importedRows: 2, skippedRows: 2 });
    expect(job.errors.map((e: { line: number }) => e.line)).toEqual([3, 5]);
    expect(job.errors[0].message).toBe(`image not found under INGEST_ROOTS: ${pad(802, 6)}_01_01/005.png`);
    expect(job.errors[1].message).toMatch(
      new RegExp(`^image ${pad(804, 6)}_01_01/005.png: \\d+ bytes, over the limit of ${MAX_IMAGE_BYTES} \\(INGEST_MAX_IMAGE_BYTES\\)$`),
    );
    // A symlink that stays inside the roots is followed; the real path is what gets stored.
    const stored = await db.query(
      `SELECT l.image_path FROM lesion l JOIN patient p ON p.id = l.patient_id WHERE p.dataset = 'image-links' ORDER BY p.patient_index`,
    );
    expect(stored.map((r: { image_path: string }) => r.image_path)).toEqual([
      path.join(images, `${pad(801, 6)}_01_01`, '005.png'),
      path.join(dir, 'slice-in-roots.png'),
    ]);
  });

  it('refuses a CSV over INGEST_MAX_CSV_BYTES with a 400 before reading it', async () => {
    const lesions: FixtureLesion[] = Array.from({ length: 600 }, (_, i) => ({ patient: 2000 + i, study: 1, series: 1, slice: 5 }));
    const { csv, images } = writeDeepLesionFixture(path.join(dir, 'oversized'), lesions);
    expect(fs.statSync(csv).size).toBeGreaterThan(MAX_CSV_BYTES);
    await writesNothing(async () => {
      const res = await startIngest({ format: 'deeplesion', csv, images }).expect(400);
      expect(res.body.message).toBe(
        `Cannot read the CSV file DL_info.csv: ${fs.statSync(csv).size} bytes, over the limit of ${MAX_CSV_BYTES} (INGEST_MAX_CSV_BYTES)`,
      );
    });
  });

  it('reports a CSV record over INGEST_MAX_CSV_LINE_LENGTH as a bad row and goes on; a header over it is a 400', async () => {
    const lesions: FixtureLesion[] = [1, 2].map((i) => ({ patient: 950 + i, study: 1, series: 1, slice: 5 }));
    // Line 3 opens a quote that never closes on its line: the record runs on past the bound.
    const after: FixtureLesion = { patient: 953, study: 1, series: 1, slice: 5 };
    const { csv, images } = writeDeepLesionFixture(path.join(dir, 'long-line'), [...lesions, after]);
    fs.writeFileSync(
      csv,
      [DL_HEADER, ...lesions.map((l) => dlInfoRow(l)), `"${'x'.repeat(MAX_CSV_LINE)}`, 'still, the same record"', dlInfoRow(after)].join('\n') + '\n',
    );
    const job = await importViaApi({ format: 'deeplesion', csv, images, dataset: 'long-line' });
    expect(job).toMatchObject({ status: 'completed', totalRows: 4, importedRows: 3, skippedRows: 1 });
    expect(job.errors).toEqual([{ line: 4, message: `the record is longer than ${MAX_CSV_LINE} characters` }]);
    fs.writeFileSync(path.join(dir, 'long-header.csv'), 'a'.repeat(MAX_CSV_LINE + 1));
    await writesNothing(async () => {
      const res = await startIngest({ format: 'deeplesion', csv: path.join(dir, 'long-header.csv'), images }).expect(400);
      expect(res.body.message).toBe(`long-header.csv: the header line: the record is longer than ${MAX_CSV_LINE} characters`);
    });
  });

  it('finishes exactly after being killed with SIGKILL mid-way and run again', async () => {
    const lesions: FixtureLesion[] = [];
    for (let p = 1; p <= 100; p++) for (let k = 0; k < 3; k++) lesions.push({ patient: 1000 + p, study: 1, series: 1, slice: 20 + k });
    const { csv, images } = writeDeepLesionFixture(path.join(dir, 'kill'), lesions);
    const env = {
      ...process.env,
      DATABASE_URL: t.database.url,
      MODELS_DIR: TEST_MODELS_DIR,
      INDEX_DIR: t.config.index.dir,
      INGEST_BATCH_SIZE: '10',
      LOG_LEVEL: 'error',
    };
    const run = (args: string[], extra: Record<string, string> = {}) =>
      spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', ...args], {
        cwd: ROOT,
        env: { ...env, ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const cli = (extra: Record<string, string>) => run(['ingest', 'deeplesion', '--csv', csv, '--images', images, '--dataset', 'kill'], extra);
    const finish = async (child: ReturnType<typeof run>) => {
      let output = '';
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      const code = await new Promise((resolve) => child.on('exit', resolve));
      return { code, output };
    };

    const victim = cli({ INGEST_BATCH_DELAY_MS: '100' });
    const exited = new Promise((resolve) => victim.on('exit', resolve));
    const cursor = await waitFor(async () => {
      const [job] = await db.query(`SELECT cursor FROM ingest_job WHERE dataset = 'kill'`);
      return job && job.cursor >= 30 && job.cursor;
    }, 120_000);
    victim.kill('SIGKILL');
    await exited;
    const [partial] = await db.query(`SELECT id, cursor, status FROM ingest_job WHERE dataset = 'kill'`);
    expect(partial.cursor).toBeGreaterThanOrEqual(cursor);
    expect(partial.cursor).toBeLessThan(300);
    expect(partial.status).toBe('running'); // nobody could mark it: the process was killed
    expect(Number((await db.query(`SELECT count(*) AS n FROM lesion l JOIN patient p ON p.id = l.patient_id WHERE p.dataset = 'kill'`))[0].n)).toBe(
      partial.cursor,
    );
    // Embeddings written after the last index snapshot are caught up from the database: verify finds every lesion.
    const verified = await finish(run(['index', 'verify']));
    expect(verified.output).toMatch(/missing 0, extra 0, unfindable 0/);
    expect(verified.code).toBe(0);

    const { code, output } = await finish(cli({}));
    expect(output).toMatch(/Import completed: \d+ lesions imported, 0 rows skipped of 300/);
    expect(code).toBe(0);
    const jobs = await db.query(`SELECT id, cursor, status, imported_rows FROM ingest_job WHERE dataset = 'kill'`);
    expect(jobs).toEqual([{ id: partial.id, cursor: 300, status: 'completed', imported_rows: 300 }]);
    const [{ n, distinct_keys }] = await db.query(
      `SELECT count(*)::int AS n, count(DISTINCT (l.series_id, l.key_slice_index, l.lesion_in_image))::int AS distinct_keys
         FROM lesion l JOIN patient p ON p.id = l.patient_id WHERE p.dataset = 'kill'`,
    );
    expect({ n, distinct_keys }).toEqual({ n: 300, distinct_keys: 300 });
    // Every lesion has its embedding, also those of the batch committed just before the kill.
    const [{ embedded }] = await db.query(
      `SELECT count(*)::int AS embedded FROM lesion_embedding e JOIN lesion l ON l.id = e.lesion_id JOIN patient p ON p.id = l.patient_id WHERE p.dataset = 'kill'`,
    );
    expect(embedded).toBe(300);
  });

  it('imports the 8-bit key-slice layout through its declared HU window', async () => {
    const sub = path.join(dir, 'keyslice8');
    fs.mkdirSync(sub, { recursive: true });
    const { encode } = await import('fast-png');
    const lesions: FixtureLesion[] = [1, 2].map((i) => ({ patient: 300 + i, study: 1, series: 1, slice: 7 }));
    // grey 64 ↔ -1024 + 64 × 4095/255 ≈ 3.8 HU under the DeepLesion key-slice window
    for (const l of lesions) {
      fs.writeFileSync(
        path.join(sub, `${pad(l.patient, 6)}_01_01_007.png`),
        encode({ width: 64, height: 64, data: new Uint8Array(64 * 64).fill(64), depth: 8, channels: 1 }),
      );
    }
    const csv = path.join(sub, 'DL_info.csv');
    fs.writeFileSync(csv, [DL_HEADER, ...lesions.map((l) => dlInfoRow(l))].join('\n'));
    const job = await importViaApi({ format: 'keyslice8', csv, images: sub, dataset: 'keyslice8', huWindow: { low: -1024, high: 3071 } });
    expect(job).toMatchObject({ status: 'completed', importedRows: 2, skippedRows: 0 });
    const [row] = await db.query(
      `SELECT l.id, l.image_encoding, l.image_hu_low, l.image_hu_high FROM lesion l JOIN patient p ON p.id = l.patient_id WHERE p.dataset = 'keyslice8' LIMIT 1`,
    );
    expect(row).toMatchObject({ image_encoding: 'gray8', image_hu_low: -1024, image_hu_high: 3071 });
    // Soft-tissue window -160..240: 3.8 HU renders as grey ≈ 105.
    const png = await t.http().get(`/api/v1/lesions/${row.id}/patch.png?box=false&size=32`).set(bearer(t.adminKey)).buffer(true).expect(200);
    const { decode } = await import('fast-png');
    const pixel = decode(png.body).data[0];
    expect(Math.abs(pixel - 105)).toBeLessThanOrEqual(1);
  });

  const haveSamples = fs.existsSync(path.join(samples, 'lesions.csv'));
  if (!haveSamples) console.log(`Skipping the real-sample import test: ${samples} is absent`);
  (haveSamples ? it : it.skip)('imports the 51 real DeepLesion lesions of the shared sample', async () => {
    const job = await importViaApi({
      format: 'samples',
      csv: path.join(samples, 'lesions.csv'),
      images: path.join(samples, 'images'),
      dataset: 'real-samples',
    });
    expect(job).toMatchObject({ status: 'completed', totalRows: 51, importedRows: 51, skippedRows: 0 });
    const list = await t.http().get('/api/v1/lesions?dataset=real-samples&limit=100').set(bearer(t.adminKey)).expect(200);
    expect(list.body.total).toBe(51);
    expect(new Set(list.body.items.map((l: { patient: { index: number } }) => l.patient.index)).size).toBe(10);
    const liver = await t.http().get('/api/v1/lesions?dataset=real-samples&coarseType=5').set(bearer(t.adminKey)).expect(200);
    expect(liver.body.items.every((l: { coarseType: { code: number } }) => l.coarseType.code === 5)).toBe(true);
    const patch = await t.http().get(`/api/v1/lesions/${list.body.items[0].id}/patch.png?window=soft`).set(bearer(t.adminKey)).expect(200);
    expect(patch.headers['content-type']).toBe('image/png');

    // Retrieval through the API on real lesions: cross-patient precision@5 of the coarse type, and
    // follow-up top-1 (same patient, other study, same type, box centre within 15 % of the image).
    type Item = {
      id: number;
      patient: { index: number };
      study: { index: number };
      coarseType: { code: number };
      box: { x1: number; y1: number; x2: number; y2: number };
    };
    const lesions: Item[] = list.body.items;
    let precisionSum = 0;
    let queries = 0;
    let followUpHits = 0;
    let followUpQueries = 0;
    const centre = (l: Item) => [(l.box.x1 + l.box.x2) / 2 / 512, (l.box.y1 + l.box.y2) / 2 / 512];
    for (const lesion of lesions) {
      const hasRelevant = lesions.some((o) => o.patient.index !== lesion.patient.index && o.coarseType.code === lesion.coarseType.code);
      if (hasRelevant) {
        // Other tests' lesions share this database: keep the first five real ones.
        const res = await t.http().post('/api/v1/search/similar').set(bearer(t.adminKey)).send({ lesionId: lesion.id, k: 200 }).expect(200);
        const hits = res.body.hits.filter((h: { lesion: { dataset: string } }) => h.lesion.dataset === 'real-samples').slice(0, 5);
        precisionSum += hits.filter((h: { lesion: Item }) => h.lesion.coarseType.code === lesion.coarseType.code).length / 5;
        queries++;
      }
      const isSame = (o: Item) => {
        const [ax, ay] = centre(lesion);
        const [bx, by] = centre(o);
        return o.coarseType.code === lesion.coarseType.code && Math.hypot(ax - bx, ay - by) < 0.15;
      };
      const candidates = lesions.filter((o) => o.patient.index === lesion.patient.index && o.study.index !== lesion.study.index);
      if (candidates.some(isSame)) {
        const followUps = (await t.http().get(`/api/v1/lesions/${lesion.id}/follow-ups`).set(bearer(t.adminKey)).expect(200)).body;
        followUpHits += isSame(followUps[0].lesion) ? 1 : 0;
        followUpQueries++;
      }
    }
    console.log(
      `Real samples: cross-patient P@5 ${(precisionSum / queries).toFixed(3)} over ${queries} queries; follow-up top-1 ${followUpHits}/${followUpQueries}`,
    );
    expect(precisionSum / queries).toBeGreaterThan(0.4);
    expect(followUpHits / followUpQueries).toBeGreaterThan(0.6);
  });
});
