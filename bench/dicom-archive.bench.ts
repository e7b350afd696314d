/**
 * DICOM archive ingest throughput (issue 16 item 5): a generated archive of BENCH_INSTANCES (default
 * 20,000) small CT instances (128², pixels from a real DeepLesion slice averaged down when ../shared is
 * there, else a synthetic phantom), in series of 100 slices, 4 studies per patient, one CSV lesion per
 * series and one SR measurement report every 10th series. Measures the whole import (walk, headers
 * de-identified, geometry, pseudonyms, key slice + neighbours decoded to PNG on workers, one
 * transaction per series) as files/s and lesions/s, its idempotent re-run, and, in the same run as the
 * baseline, the DeepLesion CSV importer's rows/s. Embedding is off in both (bench:encoder measures it).
 *
 *   npm run bench:dicom-archive                 (PostgreSQL at 127.0.0.1:5432, or BENCH_PG_ADMIN_URL)
 *   BENCH_INSTANCES=2000 npm run bench:dicom-archive
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../src/app.module';
import { ArchiveImportService } from '../src/archive/archive-import.service';
import { writeImage, writeSr } from '../src/archive/archive-writer.testing';
import { loadConfig } from '../src/config/app-config';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { decodeGray8 } from '../src/imaging/decode';
import { IngestService } from '../src/ingest/ingest.service';
import { FixtureLesion, writeDeepLesionFixture } from '../test/helpers/fixtures';
import { ADMIN_URL, admin, databaseUrl } from './bench-database';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 20000);
const SLICES_PER_SERIES = 100;
const STUDIES_PER_PATIENT = 4;
const SIDE = 128;
const BASELINE_ROWS = Number(process.env.BENCH_BASELINE_ROWS ?? 5000);
const SAMPLE = path.resolve(__dirname, '../../shared/data/deeplesion-samples/images/000001_01_01_109.jpg');

function slicePixels(): Float32Array {
  const out = new Float32Array(SIDE * SIDE);
  if (fs.existsSync(SAMPLE)) {
    const hu = decodeGray8(fs.readFileSync(SAMPLE), { low: -1024, high: 3071 });
    const f = hu.width / SIDE;
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) out[y * SIDE + x] = hu.data[y * f * hu.width + x * f];
  } else {
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) out[y * SIDE + x] = Math.hypot(x - 64, y - 64) < 50 ? 40 : -1000;
  }
  return out;
}

const Z_MARKER = -9999.25;

function replaceAll(bytes: Buffer, from: string, to: string): void {
  if (from.length !== to.length) throw new Error(`cannot patch "${from}" with "${to}"`);
  for (let at = bytes.indexOf(from, 0, 'latin1'); at >= 0; at = bytes.indexOf(from, at + from.length, 'latin1')) bytes.write(to, at, 'latin1');
}

function writeArchive(root: string): { csv: string; files: number; lesions: number } {
  const hu = slicePixels();
  const series = Math.ceil(INSTANCES / SLICES_PER_SERIES);
  const csvLines = ['sop_instance_uid,x1,y1,x2,y2,type'];
  let files = 0;
  let lesions = 0;
  for (let s = 0; s < series; s++) {
    const patient = Math.floor(s / STUDIES_PER_PATIENT);
    const study = s % STUDIES_PER_PATIENT;
    const person = {
      patientId: `P${patient}`,
      patientName: `Name^${patient}`,
      sex: (patient % 2 ? 'M' : 'F') as 'M' | 'F',
      studyUid: `1.2.3.${patient}.${study}`,
      studyDate: `20${10 + study}0101`,
    };
    const seriesUid = `${person.studyUid}.1`;
    const folder = path.join(root, `patient${patient}`, `study${study}`);
    fs.mkdirSync(folder, { recursive: true });
    const count = Math.min(SLICES_PER_SERIES, INSTANCES - files);
    // One dcmjs file per series, then each slice by patching its SOP UID and z in place (same lengths):
    // dcmjs alone would spend longer writing the archive than the import spends reading it.
    const template = Buffer.from(
      writeImage({ ...person, seriesUid, sopUid: `${seriesUid}.0000`, instanceNumber: 1, z: Z_MARKER, pixelSpacing: 3.2, width: SIDE, height: SIDE, hu }),
    );
    for (let i = 0; i < count; i++) {
      const bytes = Buffer.from(template);
      replaceAll(bytes, `${seriesUid}.0000`, `${seriesUid}.${String(i).padStart(4, '0')}`);
      replaceAll(bytes, String(Z_MARKER), (2.5 * i).toFixed(2).padStart(String(Z_MARKER).length, '0'));
      fs.writeFileSync(path.join(folder, `${i}.dcm`), bytes);
      files++;
    }
    const key = `${seriesUid}.${String(Math.floor(count / 2)).padStart(4, '0')}`;
    csvLines.push(`${key},40,40,70,66,${1 + (s % 8)}`);
    lesions++;
    if (s % 10 === 0) {
      fs.writeFileSync(
        path.join(folder, 'sr.dcm'),
        writeSr({
          ...person,
          seriesUid: `${person.studyUid}.9`,
          sopUid: `${person.studyUid}.9.1`,
          measurements: [{ sopUid: key, long: [80, 80, 100, 90], short: [88, 78, 92, 94] }],
        }),
      );
      files++;
      lesions++;
    }
  }
  const csv = path.join(root, '..', 'annotations.csv');
  fs.writeFileSync(csv, csvLines.join('\n') + '\n');
  return { csv, files, lesions };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-dicom-archive-'));
  const db = `bench_dicom_archive_${process.pid}`;
  await admin(`CREATE DATABASE ${db}`);
  const url = databaseUrl(db);
  try {
    process.stdout.write(`writing ${INSTANCES} instances… `);
    let t0 = performance.now();
    const archive = path.join(dir, 'archive');
    const { csv, files, lesions } = writeArchive(archive);
    console.log(`${files} files, ${lesions} lesions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const baselineLesions: FixtureLesion[] = Array.from({ length: BASELINE_ROWS }, (_, i) => ({
      patient: 1 + Math.floor(i / 8),
      study: 1,
      series: 1,
      slice: 10 + (i % 8),
    }));
    const { csv: dlCsv, images } = writeDeepLesionFixture(path.join(dir, 'deeplesion'), baselineLesions);

    const config = loadConfig({
      DATABASE_URL: url,
      SAMPLE_AUTOLOAD: 'false',
      EMBED_ON_INGEST: 'false',
      DATA_DIR: path.join(dir, 'data'),
      DEID_SECRET: 'bench-secret-0123456789abcdef',
      LOG_LEVEL: 'error',
      TAG_PREDICTION_DELAY_MS: '-1',
    });
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, url), { logger: ['error'] });
    const rows: string[] = [];
    try {
      const archiveImport = app.get(ArchiveImportService);
      const request = { dir: archive, annotations: csv, dataset: 'bench', pathsFrom: 'operator' as const };
      t0 = performance.now();
      const first = await archiveImport.run(request);
      const firstSeconds = (performance.now() - t0) / 1000;
      if (first.status !== 'completed' || first.importedRows !== lesions)
        throw new Error(`archive import ${first.status}: ${first.importedRows}/${lesions} lesions, ${first.message}`);
      t0 = performance.now();
      const again = await archiveImport.run(request);
      const againSeconds = (performance.now() - t0) / 1000;
      if (again.importedRows !== lesions) throw new Error(`re-import: ${again.importedRows}/${lesions}`);

      t0 = performance.now();
      const baseline = await app.get(IngestService).run({ format: 'deeplesion', csvPath: dlCsv, imagesDir: images, dataset: 'dl', pathsFrom: 'operator' });
      const baseSeconds = (performance.now() - t0) / 1000;
      if (baseline.importedRows !== BASELINE_ROWS) throw new Error(`baseline imported ${baseline.importedRows}`);
      const baseRate = BASELINE_ROWS / baseSeconds;

      rows.push(`| DeepLesion CSV importer (baseline) | ${BASELINE_ROWS} rows | ${baseSeconds.toFixed(1)} s | ${Math.round(baseRate)} rows/s | 1.00 |`);
      rows.push(
        `| DICOM archive, first import | ${files} files, ${first.totalRows} series, ${lesions} lesions | ${firstSeconds.toFixed(1)} s | ${Math.round(files / firstSeconds)} files/s, ${(lesions / firstSeconds).toFixed(1)} lesions/s | files ${(files / firstSeconds / baseRate).toFixed(2)}, lesions ${(lesions / firstSeconds / baseRate).toFixed(3)} |`,
      );
      rows.push(
        `| DICOM archive, re-import (nothing new) | ${files} files | ${againSeconds.toFixed(1)} s | ${Math.round(files / againSeconds)} files/s | files ${(files / againSeconds / baseRate).toFixed(2)} |`,
      );
      console.log(rows.join('\n'));
    } finally {
      await app.close();
    }
    writeSection(
      'dicom-archive',
      [
        '## DICOM archive ingest (`npm run bench:dicom-archive`)',
        '',
        `${machineLine()}; PostgreSQL at ${new URL(ADMIN_URL).host}. ${INSTANCES} generated CT instances of ${SIDE}² in series of ${SLICES_PER_SERIES}, one CSV lesion per series and an SR every 10th series; embedding off in both importers; a 2-core VM shared with other work.`,
        '',
        "| import | size | time | rate | ratio to the baseline's rows/s |",
        '|---|---|---|---|---|',
        ...rows,
        '',
        'Every file is read whole and its header parsed and de-identified on the event loop; only the annotated slices and their neighbours are decoded (on ARCHIVE_DECODE_WORKERS threads). Lesions/s is bounded by the walk over all files, not by the lesions: a DICOM archive has ~100 instances per lesion where a DeepLesion CSV has one row.',
      ].join('\n'),
    );
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
