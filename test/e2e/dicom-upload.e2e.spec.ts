import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { decodeSlice } from '../../src/imaging/decode-slice';
import { TRANSFER_SYNTAX, writeDicom } from '../../src/imaging/dicom-writer.testing';
import { SampleService } from '../../src/sample/sample.service';
import { covers } from '../helpers/route-coverage';
import { dcmtk, dicomToolsMissing, REAL_SLICES_DIR, realSlices } from '../helpers/dicom-samples';
import { bearer, createTestApp, TestApp } from '../helpers/test-app';

// Compressed DICOM uploads go through the same decode workers as PNG: a JPEG-LS file of a lesion's slice
// finds that lesion first, exactly as its PNG does; an img2dcm JPEG Baseline file searches; broken or
// non-image files are a clear 4xx.
const missing = dicomToolsMissing();
if (missing) console.log(`skipping the compressed DICOM upload tests: ${missing}`);

/** supertest: keep a binary answer as a Buffer. */
function binary(res: unknown, done: (error: Error | null, body: Buffer) => void): void {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('DICOM uploads to similar search (e2e)', () => {
  let t: TestApp;
  let key: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dicom-upload-'));

  beforeAll(async () => {
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false' });
    expect((await t.app.get(SampleService).ensureIngested()).status).toBe('completed');
    key = await t.keyFor('reader');
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const upload = (file: Buffer, fields: Record<string, string>) => {
    const req = t.http().post('/api/v1/search/similar').set(bearer(key)).attach('file', file, 'slice.dcm');
    for (const [name, value] of Object.entries(fields)) req.field(name, value);
    return req;
  };

  /** A lesion of the sample, and its slice as signed 16-bit DICOM (stored value = HU) converted by dcmcjpls. */
  async function lesionAsJpegLs(): Promise<{ id: number; box: string; spacing: string; jpegLs: Buffer }> {
    const [row] = await t.app
      .get(DataSource)
      .query(
        `SELECT l.id, l.image_path, l.box_x1, l.box_y1, l.box_x2, l.box_y2, s.spacing_x_mm FROM lesion l JOIN series s ON s.id = l.series_id ORDER BY l.id LIMIT 1`,
      );
    const { image } = decodeSlice(fs.readFileSync(row.image_path));
    const source = path.join(dir, 'lesion.dcm');
    const target = path.join(dir, 'lesion-jls.dcm');
    fs.writeFileSync(
      source,
      writeDicom({ rows: image.height, columns: image.width, pixels: Array.from(image.data, Math.round), pixelRepresentation: 1, rescale: null }),
    );
    dcmtk('dcmcjpls', [source, target]);
    return { id: row.id, box: [row.box_x1, row.box_y1, row.box_x2, row.box_y2].join(','), spacing: String(row.spacing_x_mm), jpegLs: fs.readFileSync(target) };
  }

  (missing ? it.skip : it)('a JPEG-LS upload of a lesion slice finds that lesion first, as its PNG does', async () => {
    covers('POST /api/v1/search/similar', 'success');
    const lesion = await lesionAsJpegLs();
    const res = await upload(lesion.jpegLs, { box: lesion.box, spacingMm: lesion.spacing, k: '5' }).expect(200);
    expect(res.body.hits[0].lesion.id).toBe(lesion.id);
    expect(res.body.hits[0].similarity).toBeGreaterThan(0.9999);
  });

  (missing ? it.skip : it)('previews a JPEG-LS upload as the server decodes it: a 16-bit PNG of the same HU, with its spacing', async () => {
    covers('POST /api/v1/uploads/preview', 'success', 'bad-input');
    const lesion = await lesionAsJpegLs();
    const res = await t
      .http()
      .post('/api/v1/uploads/preview')
      .set(bearer(key))
      .attach('file', lesion.jpegLs, 'slice.dcm')
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(res.headers['content-type']).toBe('image/png');
    const [row] = await t.app.get(DataSource).query('SELECT image_path FROM lesion WHERE id = $1', [lesion.id]);
    const expected = decodeSlice(fs.readFileSync(row.image_path)).image;
    const preview = decodeSlice(new Uint8Array(res.body as Buffer)).image;
    expect([preview.width, preview.height]).toEqual([expected.width, expected.height]);
    expect(Array.from(preview.data)).toEqual(Array.from(expected.data, Math.round));
    const spaced = writeDicom({ rows: 32, columns: 32, pixelSpacing: [0.6, 0.8] });
    const withSpacing = await t
      .http()
      .post('/api/v1/uploads/preview')
      .set(bearer(key))
      .attach('file', Buffer.from(spaced), 'slice.dcm')
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(withSpacing.headers['x-pixel-spacing-mm']).toBe('0.8');
    const broken = await t.http().post('/api/v1/uploads/preview').set(bearer(key)).attach('file', lesion.jpegLs.subarray(0, 4000), 'slice.dcm').expect(422);
    expect(broken.body.message).toMatch(/truncated|corrupt/);
    expect((await t.http().post('/api/v1/uploads/preview').set(bearer(key)).field('huWindow', '0,1').expect(400)).body.message).toMatch(/file is required/);
    expect((await t.http().post('/api/v1/uploads/preview').attach('file', lesion.jpegLs, 'slice.dcm')).status).toBe(401);
  });

  (missing ? it.skip : it)('a JPEG Baseline file written by img2dcm from a real key slice searches (200)', async () => {
    const target = path.join(dir, 'img2dcm.dcm');
    dcmtk('img2dcm', [path.join(REAL_SLICES_DIR, `${realSlices(1)[0].name}.jpg`), target]);
    const res = await upload(fs.readFileSync(target), { box: '200,200,260,250', spacingMm: '0.8', k: '3' }).expect(200);
    expect(res.body.hits).toHaveLength(3);
  });

  (missing ? it.skip : it)('a truncated JPEG-LS upload is a 422 and a video transfer syntax a 415, naming the cause', async () => {
    covers('POST /api/v1/search/similar', 'bad-input');
    const lesion = await lesionAsJpegLs();
    const truncated = await upload(lesion.jpegLs.subarray(0, Math.floor(lesion.jpegLs.length * 0.6)), { box: lesion.box }).expect(422);
    expect(truncated.body.message).toMatch(/truncated|corrupt/);
    const video = await upload(Buffer.from(writeDicom({ transferSyntax: TRANSFER_SYNTAX.mpeg2, encapsulate: true })), { box: '1,1,8,8' }).expect(415);
    expect(video.body.message).toMatch(/1\.2\.840\.10008\.1\.2\.4\.100 \(MPEG2 Main Profile\) is not supported/);
  });
});
