import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { AppConfig } from '../config/app-config';
import { resolveDatabase } from '../database/database-bootstrap';
import { IngestService } from '../ingest/ingest.service';
import { SampleService } from '../sample/sample.service';
import { formatGrowthReport, GrowthEvalService } from '../growth/growth-eval.service';

/**
 * The real samples' CSV has boxes but no pixel spacing or RECIST diameters. Their long axis is taken
 * as the box's longer side less DeepLesion's 5 px padding per side (exact for an axis-aligned lesion,
 * short by up to √2 for a diagonal one) times this spacing, a typical DeepLesion in-plane spacing. A
 * constant spacing cancels in every ratio (growth, RECIST's relative thresholds); it matters for
 * MAE in mm and RECIST's +5 mm.
 */
export const ASSUMED_SPACING_MM = 0.8;

/** What the tables below mean; written with them so a re-run keeps it. */
export const GROWTH_BENCHMARK_NOTES = `Leave-one-patient-out over every track with two or more measured points: the last point is held out and
predicted from the points before it at the real interval (where the studies have dates; otherwise "the next
follow-up"), with neighbours, tracks and type statistics from other patients only. "Ours" weights the tracks
of the most similar lesions (README, Lesion growth); the baselines run through the same function. Results on
the **built-in sample test the machinery** (its growth model is ours: types and kinds that grow, stay or
shrink at an exponential rate with ±6 % measurement noise, over 60–420-day intervals); the **real lesions
test the idea**, but weakly: 51 key slices of 10 patients, no study dates (every step is "next follow-up"),
no pixel spacing (long axis = the box's longer side less 2×5 px padding, × an assumed ${ASSUMED_SPACING_MM} mm/px), and
the tracks are our automatic ones (no ground-truth links), so a wrong link is scored as if it were the
lesion. The "no change" baseline's interval is a point, hence its 0 coverage; RECIST truth is the held-out
point's category against the track's own baseline and nadir.`;

export interface GrowthEvalFlags {
  set: 'sample' | 'real';
  csv: string;
  images: string;
  spacingMm: number;
}

export function parseGrowthEvalFlags(args: string[]): GrowthEvalFlags[] {
  const { values } = parseArgs({
    args,
    options: {
      set: { type: 'string' },
      csv: { type: 'string' },
      images: { type: 'string' },
      'assume-spacing-mm': { type: 'string' },
      write: { type: 'boolean' },
    },
  });
  const shared = path.resolve(process.cwd(), '../shared/data/deeplesion-samples');
  const spacingMm = values['assume-spacing-mm'] ? Number(values['assume-spacing-mm']) : ASSUMED_SPACING_MM;
  if (!(spacingMm > 0 && spacingMm < 5)) throw new Error('--assume-spacing-mm must be a spacing in mm (0..5)');
  const real = { set: 'real' as const, csv: values.csv ?? path.join(shared, 'lesions.csv'), images: values.images ?? path.join(shared, 'images'), spacingMm };
  const sample = { set: 'sample' as const, csv: '', images: '', spacingMm };
  if (values.set === 'sample') return [sample];
  if (values.set === 'real') return [real];
  if (values.set !== undefined) throw new Error('--set must be sample or real (default: both)');
  return [sample, real];
}

/**
 * Runs the growth evaluation on a set in a throwaway database on the configured server (created and
 * dropped here): the set is imported and embedded like any archive, tracks are built, then LOPO.
 */
export async function evaluateGrowthSet(config: AppConfig, flags: GrowthEvalFlags): Promise<string> {
  const database = await resolveDatabase(config);
  const name = `growth_eval_${process.pid}_${Date.now()}`;
  const adminUrl = database.url.replace(/\/[^/?]+(\?|$)/, '/postgres$1');
  const url = database.url.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
  const indexDir = fs.mkdtempSync(path.join(os.tmpdir(), 'growth-eval-index-'));
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot({ ...config, databaseUrl: url, sample: { ...config.sample, autoload: false }, index: { ...config.index, dir: indexDir } }, url),
    { logger: ['fatal', 'error'] },
  );
  try {
    if (flags.set === 'sample') {
      await app.get(SampleService).ensureIngested();
    } else {
      const job = await app.get(IngestService).run({ format: 'samples', csvPath: flags.csv, imagesDir: flags.images, dataset: 'deeplesion-samples' });
      if (job.status !== 'completed') throw new Error(`importing ${flags.csv} ${job.status}`);
      // No spacing in the CSV: the stated estimate (throwaway database only).
      await app
        .get(DataSource)
        .query(`UPDATE lesion SET long_axis_mm = greatest(1, greatest(box_x2 - box_x1, box_y2 - box_y1) - 10) * $1 WHERE long_axis_mm IS NULL`, [
          flags.spacingMm,
        ]);
    }
    const report = await app.get(GrowthEvalService).evaluate();
    return formatGrowthReport(report, flags.set === 'sample' ? 'built-in sample' : `real DeepLesion samples (${path.basename(path.dirname(flags.csv))})`);
  } finally {
    await app.close();
    await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    fs.rmSync(indexDir, { recursive: true, force: true });
    await database.stop();
  }
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
