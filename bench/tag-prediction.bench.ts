/**
 * Tag prediction from labelled neighbours, evaluated per term in the layout of LesaNet's
 * labels_for_demo.xlsx, on two sets:
 *  - the built-in synthetic sample: its report sentences (written from the phantom) are mined into
 *    tags, then each term is predicted for held-out lesions from their neighbours' tags;
 *  - the 51 real DeepLesion lesions in ../shared/data/deeplesion-samples: only coarse types are known
 *    there, so the terms are DeepLesion's eight types (and the regions they imply).
 * Writes docs/BENCHMARKS.md (section tag-prediction) and docs/tag-prediction-*.csv.
 *
 *   npm run bench:tag-prediction       (PostgreSQL at 127.0.0.1:5432, or BENCH_PG_ADMIN_URL)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config/app-config';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { tagEvaluationCsv, tagEvaluationMarkdown } from '../src/evaluation/tag-prediction-report';
import { IngestService } from '../src/ingest/ingest.service';
import { SampleService } from '../src/sample/sample.service';
import { TagPredictionEvaluation, TagPredictionService } from '../src/tags/prediction/tag-prediction.service';
import { admin, databaseUrl } from './bench-database';

const SHARED = path.resolve(__dirname, '../../shared/data/deeplesion-samples');

async function withApp(
  name: string,
  env: Record<string, string>,
  work: (app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>) => Promise<TagPredictionEvaluation>,
): Promise<TagPredictionEvaluation> {
  const db = `bench_tags_${name}_${process.pid}`;
  await admin(`CREATE DATABASE ${db}`);
  const url = databaseUrl(db);
  const indexDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-tags-index-'));
  const config = loadConfig({ DATABASE_URL: url, SAMPLE_AUTOLOAD: 'false', INDEX_DIR: indexDir, TAG_PREDICTION_DELAY_MS: '-1', ...env });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, url), { logger: ['error'] });
  try {
    return await work(app);
  } finally {
    await app.close();
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    fs.rmSync(indexDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sections: string[] = [];
  const builtIn = await withApp('sample', { SAMPLE_DIR: path.join(os.tmpdir(), 'lesion-retrieval-bench-sample') }, async (app) => {
    const job = await app.get(SampleService).ensureIngested();
    if (job.status !== 'completed') throw new Error(`sample import ${job.status}`);
    return app.get(TagPredictionService).evaluate();
  });
  fs.writeFileSync(path.resolve(__dirname, '../docs/tag-prediction-built-in-sample.csv'), tagEvaluationCsv(builtIn));
  sections.push(`### Built-in synthetic sample (tags mined from its report sentences)\n\n${tagEvaluationMarkdown(builtIn)}`);
  console.log(tagEvaluationMarkdown(builtIn));

  if (fs.existsSync(SHARED)) {
    const real = await withApp('real', {}, async (app) => {
      const job = await app.get(IngestService).run({
        format: 'samples',
        csvPath: path.join(SHARED, 'lesions.csv'),
        imagesDir: path.join(SHARED, 'images'),
        dataset: 'real-samples',
        pathsFrom: 'operator',
      });
      if (job.status !== 'completed') throw new Error(`real sample import ${job.status}`);
      return app.get(TagPredictionService).evaluate();
    });
    fs.writeFileSync(path.resolve(__dirname, '../docs/tag-prediction-real-samples.csv'), tagEvaluationCsv(real));
    sections.push(`### 51 real DeepLesion lesions (coarse types only)\n\n${tagEvaluationMarkdown(real)}`);
    console.log(tagEvaluationMarkdown(real));
  } else {
    console.log(`Skipping the real samples: ${SHARED} is absent`);
  }
  writeSection(
    'tag-prediction',
    `## Tag prediction from labelled neighbours (\`npm run bench:tag-prediction\`)\n\n${machineLine()}. Each term's score is the similarity-weighted share of the k nearest labelled lesions of other patients that carry it (exp((s−1)/0.05) weights); one threshold per term maximises F1 on the calibration set. Columns as in LesaNet's labels_for_demo.xlsx (published: 171 terms, mean AUC 0.93, trained on 22k lesions); full tables in docs/tag-prediction-*.csv.\n\n${sections.join('\n\n')}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
