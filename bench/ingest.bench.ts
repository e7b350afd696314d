/**
 * Metadata ingest at DeepLesion's scale: 32,735 lesions, 4,427 patients, 10,594 studies (synthetic rows,
 * one tiny 16-bit PNG per key slice so the image checks run for real). Measures the importer end to end
 * (CSV parse, image header checks, batched upserts, cursor updates), its idempotent re-run, and a
 * row-at-a-time baseline (one autocommitted INSERT … ON CONFLICT per table per row) on the same rows.
 *
 *   npm run bench:ingest            (uses PostgreSQL at 127.0.0.1:5432, or BENCH_PG_ADMIN_URL)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config/app-config';
import { parseCsv } from '../src/ingest/csv';
import { parseDeepLesionCsv } from '../src/ingest/deeplesion-csv.parser';
import { IngestService } from '../src/ingest/ingest.service';
import { FixtureLesion, writeDeepLesionFixture } from '../test/helpers/fixtures';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { ADMIN_URL, admin, databaseUrl } from './bench-database';

const LESIONS = Number(process.env.BENCH_LESIONS ?? 32735);
const PATIENTS = 4427;
const STUDIES = 10594;
const BASELINE_ROWS = Number(process.env.BENCH_BASELINE_ROWS ?? 3000);


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
    return { patient, study, series: 1, slice: 10 + (i % 3), type: 1 + (i % 8), split: (1 + (i % 3)) as 1 | 2 | 3, sex: patient % 2 ? 'M' : 'F', age: 20 + (patient % 70) };
  });
}

async function main(): Promise<void> {
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
      const first = await ingest.run({ format: 'deeplesion', csvPath: csv, imagesDir: images, dataset: 'bench' });
      const firstSeconds = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const again = await ingest.run({ format: 'deeplesion', csvPath: csv, imagesDir: images, dataset: 'bench' });
      const againSeconds = (performance.now() - t0) / 1000;
      await app.close();
      if (first.importedRows !== LESIONS || again.importedRows !== LESIONS) throw new Error(`imported ${first.importedRows}/${again.importedRows} of ${LESIONS}`);
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
      const [p] = (await client.query(`INSERT INTO patient (dataset, patient_index, sex) VALUES ('bench', $1, $2) ON CONFLICT (dataset, patient_index) DO UPDATE SET sex = EXCLUDED.sex RETURNING id`, [r.patientIndex, r.sex])).rows;
      const [s] = (await client.query(`INSERT INTO study (patient_id, study_index, age_years) VALUES ($1, $2, $3) ON CONFLICT (patient_id, study_index) DO UPDATE SET age_years = EXCLUDED.age_years RETURNING id`, [p.id, r.studyIndex, r.age])).rows;
      const [se] = (await client.query(`INSERT INTO series (study_id, series_index) VALUES ($1, $2) ON CONFLICT (study_id, series_index) DO UPDATE SET series_index = EXCLUDED.series_index RETURNING id`, [s.id, r.seriesIndex])).rows;
      await client.query(
        `INSERT INTO lesion (series_id, study_id, patient_id, key_slice_index, lesion_in_image, box_x1, box_y1, box_x2, box_y2, coarse_type, source_file_name, image_path, image_encoding)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'png16') ON CONFLICT (series_id, key_slice_index, lesion_in_image) DO UPDATE SET box_x1 = EXCLUDED.box_x1`,
        [se.id, s.id, p.id, r.keySliceIndex, r.lesionInImage, r.box.x1, r.box.y1, r.box.x2, r.box.y2, r.coarseType, r.sourceFileName, r.imageRelPath],
      );
    }
    const baseSeconds = (performance.now() - t0) / 1000;
    await client.end();
    const baseRate = BASELINE_ROWS / baseSeconds;
    results.push(`| baseline: one upsert per table per row, autocommit (first ${BASELINE_ROWS} rows) | ${BASELINE_ROWS} | ${baseSeconds.toFixed(2)} s | ${Math.round(baseRate)} |`);
    console.log(results[results.length - 1]);
    const best = Math.max(...results.slice(0, -1).filter((r) => r.includes('first import')).map((r) => Number(r.split('|')[4])));

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

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
