/**
 * Metadata ingest at DeepLesion's scale: 32,735 lesions, 4,427 patients, 10,594 studies (synthetic rows,
 * one tiny 16-bit PNG per key slice so the image checks run for real). Measures the importer end to end
 * (CSV parse, image header checks, batched upserts, cursor updates), its idempotent re-run, and a
 * row-at-a-time baseline (one autocommitted INSERT … ON CONFLICT per table per row) on the same rows.
 *
 * Then peak memory: the streaming import of 32,735 and 200,000 generated rows (BENCH_RSS_ROWS; add
 * 1000000 to run the million, minutes on a busy machine) against the former way of starting an import,
 * the whole file read and parsed in memory, each in a fresh child process booting the same app.
 *
 *   npm run bench:ingest            (uses PostgreSQL at 127.0.0.1:5432, or BENCH_PG_ADMIN_URL)
 *   BENCH_RSS_ONLY=1 BENCH_RSS_ROWS=32735,200000,1000000 npm run bench:ingest
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { encode } from 'fast-png';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config/app-config';
import { parseCsv } from '../src/deeplesion/csv';
import { parseDeepLesionCsv } from '../src/deeplesion/deeplesion-csv.parser';
import { IngestService } from '../src/ingest/ingest.service';
import { DL_HEADER, dlInfoRow, FixtureLesion, writeDeepLesionFixture } from '../test/helpers/fixtures';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { ADMIN_URL, admin, databaseUrl } from './bench-database';

const LESIONS = Number(process.env.BENCH_LESIONS ?? 32735);
const PATIENTS = 4427;
const STUDIES = 10594;
const BASELINE_ROWS = Number(process.env.BENCH_BASELINE_ROWS ?? 3000);
const RSS_ROWS = (process.env.BENCH_RSS_ROWS ?? '32735,200000').split(',').map(Number);
/** The former whole-file parse is measured up to here (a million rows would take gigabytes). */
const WHOLE_PARSE_MAX_ROWS = Number(process.env.BENCH_WHOLE_PARSE_MAX_ROWS ?? 200000);

function fixtureLesions(): FixtureLesion[] {
  // Spread lesions evenly over studies and studies over patients, numbering studies within each patient.
  const studyOf: { patient: number; study: number }[] = [];
  for (let g = 0, last = 0, n = 0; g < STUDIES; g++) {
    const patient = Math.floor((g * PATIENTS) / STUDIES) + 1;
    n = patient === last ? n + 1 : 1;
    last = patient;
    studyOf.push({ patient, study: n });
  }
  return Array.from({ length: LESIONS }, (_, i) => {
    const { patient, study } = studyOf[Math.floor((i * STUDIES) / LESIONS)];
    return {
      patient,
      study,
      series: 1,
      slice: 10 + (i % 3),
      type: 1 + (i % 8),
      split: (1 + (i % 3)) as 1 | 2 | 3,
      sex: patient % 2 ? 'M' : 'F',
      age: 20 + (patient % 70),
    };
  });
}

async function main(): Promise<void> {
  if (process.env.BENCH_RSS_ONLY !== '1') await throughput();
  await peakMemory();
}

async function throughput(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-'));
  const db = `bench_ingest_${process.pid}`;
  const baseDb = `bench_ingest_base_${process.pid}`;
  await admin(`CREATE DATABASE ${db}`);
  await admin(`CREATE DATABASE ${baseDb}`);
  const url = databaseUrl(db);
  const baseUrl = databaseUrl(baseDb);
  try {
    process.stdout.write(`writing ${LESIONS} rows and their key slices… `);
    const { csv, images } = writeDeepLesionFixture(dir, fixtureLesions());
    console.log('done');
    const results: string[] = [];
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

    for (const batch of [500, 2000]) {
      const config = loadConfig({ DATABASE_URL: url, SAMPLE_AUTOLOAD: 'false', EMBED_ON_INGEST: 'false', INGEST_BATCH_SIZE: String(batch) });
      const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, url), { logger: ['error'] });
      const ingest = app.get(IngestService);
      await new Client({ connectionString: url }).connect().then(async (c) => {
        await c.query('TRUNCATE lesion, series, study, patient, ingest_job CASCADE');
        await c.end();
      });
      let t0 = performance.now();
      const first = await ingest.run({ format: 'deeplesion', csvPath: csv, imagesDir: images, dataset: 'bench', pathsFrom: 'operator' });
      const firstSeconds = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const again = await ingest.run({ format: 'deeplesion', csvPath: csv, imagesDir: images, dataset: 'bench', pathsFrom: 'operator' });
      const againSeconds = (performance.now() - t0) / 1000;
      await app.close();
      if (first.importedRows !== LESIONS || again.importedRows !== LESIONS)
        throw new Error(`imported ${first.importedRows}/${again.importedRows} of ${LESIONS}`);
      results.push(`| importer, batch ${batch} (first import) | ${LESIONS} | ${firstSeconds.toFixed(2)} s | ${Math.round(LESIONS / firstSeconds)} |`);
      results.push(`| importer, batch ${batch} (re-import, all upserts) | ${LESIONS} | ${againSeconds.toFixed(2)} s | ${Math.round(LESIONS / againSeconds)} |`);
      console.log(results.slice(-2).join('\n'));
    }
    clearInterval(sampler);

    // Baseline: the obvious loop, one autocommitted upsert per table per row, on the same parsed rows.
    const config = loadConfig({ DATABASE_URL: baseUrl, SAMPLE_AUTOLOAD: 'false' });
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, baseUrl), { logger: ['error'] }); // runs migrations
    await app.close();
    const rows = parseDeepLesionCsv(parseCsv(fs.readFileSync(csv, 'utf8')), { layout: 'png16' }).rows.slice(0, BASELINE_ROWS);
    const client = new Client({ connectionString: baseUrl });
    await client.connect();
    const t0 = performance.now();
    for (const row of rows) {
      if (!row.ok) continue;
      const r = row.record;
      fs.statSync(path.join(images, r.imageRelPath));
      const [p] = (
        await client.query(
          `INSERT INTO patient (dataset, patient_index, sex) VALUES ('bench', $1, $2) ON CONFLICT (dataset, patient_index) DO UPDATE SET sex = EXCLUDED.sex RETURNING id`,
          [r.patientIndex, r.sex],
        )
      ).rows;
      const [s] = (
        await client.query(
          `INSERT INTO study (patient_id, study_index, age_years) VALUES ($1, $2, $3) ON CONFLICT (patient_id, study_index) DO UPDATE SET age_years = EXCLUDED.age_years RETURNING id`,
          [p.id, r.studyIndex, r.age],
        )
      ).rows;
      const [se] = (
        await client.query(
          `INSERT INTO series (study_id, series_index) VALUES ($1, $2) ON CONFLICT (study_id, series_index) DO UPDATE SET series_index = EXCLUDED.series_index RETURNING id`,
          [s.id, r.seriesIndex],
        )
      ).rows;
      await client.query(
        `INSERT INTO lesion (series_id, study_id, patient_id, key_slice_index, lesion_in_image, box_x1, box_y1, box_x2, box_y2, coarse_type, source_file_name, image_path, image_encoding)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'png16') ON CONFLICT (series_id, key_slice_index, lesion_in_image) DO UPDATE SET box_x1 = EXCLUDED.box_x1`,
        [se.id, s.id, p.id, r.keySliceIndex, r.lesionInImage, r.box.x1, r.box.y1, r.box.x2, r.box.y2, r.coarseType, r.sourceFileName, r.imageRelPath],
      );
    }
    const baseSeconds = (performance.now() - t0) / 1000;
    await client.end();
    const baseRate = BASELINE_ROWS / baseSeconds;
    results.push(
      `| baseline: one upsert per table per row, autocommit (first ${BASELINE_ROWS} rows) | ${BASELINE_ROWS} | ${baseSeconds.toFixed(2)} s | ${Math.round(baseRate)} |`,
    );
    console.log(results[results.length - 1]);
    const best = Math.max(
      ...results
        .slice(0, -1)
        .filter((r) => r.includes('first import'))
        .map((r) => Number(r.split('|')[4])),
    );

    writeSection(
      'ingest',
      [
        '## Metadata ingest (`npm run bench:ingest`)',
        '',
        `${machineLine()}; PostgreSQL at ${new URL(ADMIN_URL).host}.`,
        `${LESIONS} synthetic DL_info.csv rows (${PATIENTS} patients, ${STUDIES} studies), each with a 64×64 16-bit key slice whose header is checked; metadata only (EMBED_ON_INGEST=false: embedding throughput is in the encoder section).`,
        '',
        '| run | rows | time | rows/s |',
        '|---|---|---|---|',
        ...results,
        '',
        `Batched importer vs. row-at-a-time baseline: **${(best / baseRate).toFixed(1)}×** the rows per second. Peak RSS of the benchmark process: ${Math.round(peakRss / 2 ** 20)} MiB.`,
      ].join('\n'),
    );
    console.log('written to docs/BENCHMARKS.md');
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin(`DROP DATABASE IF EXISTS ${baseDb} WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `rows` DL_info.csv rows for the 8-bit key-slice layout, each on a key slice of its own (the DeepLesion
 * parser keeps a number per distinct key slice: the worst case), the slices hard links to a 64×64 PNG.
 */
async function writeRssFixture(dir: string, rows: number): Promise<{ csv: string; images: string }> {
  const images = path.join(dir, 'slices');
  fs.mkdirSync(images, { recursive: true });
  const png = encode({ width: 64, height: 64, data: new Uint8Array(64 * 64).fill(90), depth: 8, channels: 1 });
  // One source file per 60,000 links: ext4 allows 65,000 links to an inode.
  const sliceFor = (i: number) => {
    const file = path.join(dir, `slice-${Math.floor(i / 60000)}.png`);
    if (i % 60000 === 0) fs.writeFileSync(file, png);
    return file;
  };
  const csv = path.join(dir, 'DL_info.csv');
  const out = fs.createWriteStream(csv);
  const write = (text: string) => (out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve())));
  await write(DL_HEADER + '\n');
  for (let i = 0; i < rows; i++) {
    const lesion: FixtureLesion = {
      patient: 1 + Math.floor(i / 6),
      study: 1 + (Math.floor(i / 3) % 2),
      series: 1,
      slice: 10 + (i % 3),
      type: 1 + (i % 8),
      split: (1 + (i % 3)) as 1 | 2 | 3,
      sex: i % 2 ? 'M' : 'F',
      age: 20 + (i % 70),
    };
    const line = dlInfoRow(lesion);
    fs.linkSync(sliceFor(i), path.join(images, line.slice(0, line.indexOf(','))));
    await write(line + '\n');
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { csv, images };
}

interface ChildResult {
  maxRssMiB: number;
  seconds: number;
  rows: number;
}

/** One measurement in a fresh process, so that its peak RSS is its own. */
function measureInChild(mode: 'stream' | 'whole' | 'idle', url: string, csv: string, images: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename], {
      env: { ...process.env, BENCH_RSS_CHILD: JSON.stringify({ mode, url, csv, images }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = output.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${mode} child exited ${code}: ${output.slice(-2000)}`));
      else resolve(JSON.parse(line));
    });
  });
}

/** The child: boots the app (no embedding), then imports (stream), parses the file whole (whole) or nothing (idle). */
async function rssChild(spec: { mode: 'stream' | 'whole' | 'idle'; url: string; csv: string; images: string }): Promise<void> {
  const config = loadConfig({ DATABASE_URL: spec.url, SAMPLE_AUTOLOAD: 'false', EMBED_ON_INGEST: 'false', INGEST_BATCH_SIZE: '1000', LOG_LEVEL: 'error' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, spec.url), { logger: ['error'] });
  const t0 = performance.now();
  let rows = 0;
  if (spec.mode === 'stream') {
    const job = await app.get(IngestService).run({ format: 'keyslice8', csvPath: spec.csv, imagesDir: spec.images, dataset: 'rss', pathsFrom: 'operator' });
    if (job.status !== 'completed' || job.skippedRows !== 0)
      throw new Error(`import ${job.status}, ${job.skippedRows} skipped: ${JSON.stringify(job.errors.slice(0, 3))}`);
    rows = job.importedRows;
  } else if (spec.mode === 'whole') {
    // What an import did before it started: the file read whole, hashed, every row parsed and held.
    const bytes = fs.readFileSync(spec.csv);
    createHash('sha256').update(bytes).digest('hex');
    const parsed = parseDeepLesionCsv(parseCsv(bytes.toString('utf8')), { layout: 'gray8', window: { low: -1024, high: 3071 } });
    rows = parsed.rows.filter((r) => r.ok).length;
  }
  const seconds = (performance.now() - t0) / 1000;
  const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  await app.close();
  console.log(JSON.stringify({ maxRssMiB, seconds, rows }));
}

async function peakMemory(): Promise<void> {
  const lines: string[] = [];
  const db = `bench_ingest_rss_${process.pid}`;
  await admin(`CREATE DATABASE ${db}`);
  const url = databaseUrl(db);
  try {
    const idle = await measureInChild('idle', url, '', ''); // also runs the migrations
    console.log(`app alone: ${idle.maxRssMiB} MiB`);
    // Written after each size, so that a long run stopped early keeps what it measured.
    const write = () =>
      writeSection(
        'ingest-memory',
        [
          '## Import memory (`npm run bench:ingest`, peak RSS)',
          '',
          `${machineLine()}; PostgreSQL at ${new URL(ADMIN_URL).host}.`,
          'Generated DL_info.csv rows (8-bit key-slice layout, every row on a key slice of its own, each slice a hard link to a 64×64 PNG whose header is checked), metadata only (EMBED_ON_INGEST=false), batches of 1000. Each figure is the peak RSS (`maxRSS`) of a fresh child process booting the same app;',
          `in brackets, above the app alone (${idle.maxRssMiB} MiB). "Whole-file parse" is what an import did before it began until the CSV was streamed: the file read whole, hashed and every row parsed and held (the import itself came on top of it).`,
          '',
          '| rows | CSV | streaming import, peak RSS | import time | whole-file parse, peak RSS | whole ÷ streaming |',
          '|---|---|---|---|---|---|',
          ...lines,
        ].join('\n'),
      );
    for (const rows of RSS_ROWS) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-rss-'));
      try {
        process.stdout.write(`writing ${rows} rows and their key slices… `);
        const { csv, images } = await writeRssFixture(dir, rows);
        console.log(`${Math.round(fs.statSync(csv).size / 2 ** 20)} MiB of CSV`);
        const whole = rows <= WHOLE_PARSE_MAX_ROWS ? await measureInChild('whole', url, csv, images) : null;
        if (whole) console.log(`whole-file parse: ${whole.maxRssMiB} MiB peak (${whole.seconds.toFixed(1)} s)`);
        const stream = await measureInChild('stream', url, csv, images);
        if (stream.rows !== rows) throw new Error(`imported ${stream.rows} of ${rows}`);
        console.log(`streaming import: ${stream.maxRssMiB} MiB peak (${stream.seconds.toFixed(1)} s, ${Math.round(rows / stream.seconds)} rows/s)`);
        lines.push(
          `| ${rows} | ${Math.round(fs.statSync(csv).size / 2 ** 20)} MiB | ${stream.maxRssMiB} MiB (+${stream.maxRssMiB - idle.maxRssMiB}) | ${stream.seconds.toFixed(0)} s, ${Math.round(rows / stream.seconds)} rows/s | ${whole ? `${whole.maxRssMiB} MiB (+${whole.maxRssMiB - idle.maxRssMiB})` : 'not run'} | ${whole ? (whole.maxRssMiB / stream.maxRssMiB).toFixed(1) + '×' : ''} |`,
        );
        await new Client({ connectionString: url }).connect().then(async (c) => {
          await c.query('TRUNCATE lesion, series, study, patient, ingest_job CASCADE');
          await c.end();
        });
        write();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    console.log('written to docs/BENCHMARKS.md');
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
}

const child = process.env.BENCH_RSS_CHILD;
(child ? rssChild(JSON.parse(child)) : main()).then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
