import { ALL_DATASETS } from '../src/common/dataset-scope';
/**
 * Tag-query latency on a synthetic archive of 1,000,000 lesions with 10 tags each (the coarse-type tag
 * plus 9 drawn from the vocabulary, skewed towards its first terms), through the whole service path
 * (parse, expand, SQL, count, page of 50 with tags). The same SQL is also run with PostgreSQL's index
 * scans turned off (sequential scans and hash joins only), as the baseline that "uses indexes, not
 * scans" is measured against, and the plans of two queries are written out.
 *
 *   npm run bench:tags          (PostgreSQL at 127.0.0.1:5432, or BENCH_PG_ADMIN_URL; BENCH_LESIONS=1000000)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config/app-config';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { LesionFilterDto } from '../src/lesions/lesions.dto';
import { LesionsService } from '../src/lesions/lesions.service';
import { TagQueryService } from '../src/tags/query/tag-query.service';
import { VocabularyService } from '../src/tags/vocabulary.service';
import { loadSyntheticArchive } from './synthetic-archive';
import { ADMIN_URL, databaseUrl } from './bench-database';

const LESIONS = Number(process.env.BENCH_LESIONS ?? 1_000_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 15);
const ONLY_LOAD = process.env.BENCH_ONLY_LOAD === '1';
const ONTOLOGY = path.resolve(__dirname, '../../shared/data/lesanet/lesion_ontology_181022.xlsx');

const QUERIES: { q: string; filters?: Partial<LesionFilterDto> }[] = [
  { q: 'liver' },
  { q: 'hypodense liver lesion not cyst' },
  { q: 'enlarged lymph nodes mediastinum' },
  { q: '(lung nodule OR lung mass) AND spiculated' },
  { q: 'liver AND (hypodense OR hyperdense) NOT cyst' },
  { q: 'calcified', filters: { sex: 'F', ageMin: 60, ageMax: 90, split: ['test'] } },
  { q: 'lung nodule', filters: { diameterMinMm: 5, diameterMaxMm: 10, ageMin: 60, split: ['test'] } },
  { q: 'kidny cyst' },
  { q: 'lymph node AND NOT enlarged' },
  { q: 'abdomen' },
];

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function main(): Promise<void> {
  // BENCH_DB=name reuses a database an earlier run kept (BENCH_KEEP_DB=1): no reload.
  const reuse = process.env.BENCH_DB;
  const db = reuse ?? `bench_tags_${process.pid}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  if (!reuse) await admin.query(`CREATE DATABASE ${db}`);
  const url = databaseUrl(db);
  const indexDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-tags-index-'));
  const config = loadConfig({ DATABASE_URL: url, SAMPLE_AUTOLOAD: 'false', INDEX_DIR: indexDir, TAG_PREDICTION_DELAY_MS: '-1', EMBED_ON_INGEST: 'false' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, url), { logger: ['error'] });
  const sql = new Client({ connectionString: url });
  await sql.connect();
  try {
    const vocabulary = app.get(VocabularyService);
    // (A reused archive has it already: importing again would rebuild lesion_term for nothing.)
    if (fs.existsSync(ONTOLOGY) && !reuse) await vocabulary.importOntologyFile(fs.readFileSync(ONTOLOGY), 'lesanet');
    const terms = (await vocabulary.current()).terms.length;

    let t0 = performance.now();
    let loadSeconds = Number(process.env.BENCH_LOAD_SECONDS ?? NaN);
    if (!reuse) {
      await loadSyntheticArchive(sql, vocabulary, LESIONS);
      loadSeconds = (performance.now() - t0) / 1000;
    }
    const [{ n: tagRows }] = (await sql.query(`SELECT count(*)::int AS n FROM lesion_tag`)).rows;
    const [{ n: termRows }] = (await sql.query(`SELECT count(*)::int AS n FROM lesion_term`)).rows;
    console.log(`${tagRows} tags in ${loadSeconds.toFixed(0)} s`);

    if (ONLY_LOAD) return;
    const lesions = app.get(LesionsService);
    const compiler = app.get(TagQueryService);
    const dto = (q: string, filters: Partial<LesionFilterDto> = {}) => Object.assign(new LesionFilterDto(), { offset: 0, limit: 50, q, ...filters });
    const rows: string[] = [];
    const all: number[] = [];
    const ratios: number[] = [];
    for (const { q, filters } of QUERIES) {
      for (let i = 0; i < 2; i++) await lesions.listLesions(dto(q, filters), ALL_DATASETS);
      const times: number[] = [];
      let total = 0;
      for (let i = 0; i < REPEATS; i++) {
        t0 = performance.now();
        total = (await lesions.listLesions(dto(q, filters), ALL_DATASETS)).total;
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      all.push(...times);
      // Baseline: the same count and page SQL with index scans off, on one connection.
      const compiled = await compiler.compile(q);
      const where = filterSql(filters ?? {});
      const pageSql = `SELECT l.id, tq.score FROM (${compiled.sql}) tq JOIN lesion l ON l.id = tq.lesion_id JOIN patient p ON p.id = l.patient_id JOIN study s ON s.id = l.study_id WHERE ${where} ORDER BY tq.score DESC, l.id LIMIT 50`;
      const countSql = `SELECT count(*) FROM (${compiled.sql}) tq JOIN lesion l ON l.id = tq.lesion_id JOIN patient p ON p.id = l.patient_id JOIN study s ON s.id = l.study_id WHERE ${where}`;
      const timeSql = async (scans: boolean) => {
        await sql.query(
          `SET enable_indexscan = ${scans ? 'on' : 'off'}; SET enable_indexonlyscan = ${scans ? 'on' : 'off'}; SET enable_bitmapscan = ${scans ? 'on' : 'off'}`,
        );
        await sql.query(countSql);
        const start = performance.now();
        for (let i = 0; i < 3; i++) await Promise.all([sql.query(countSql), sql.query(pageSql)]);
        return (performance.now() - start) / 3;
      };
      const indexed = await timeSql(true);
      const scanned = await timeSql(false);
      await sql.query(`RESET ALL`);
      ratios.push(scanned / indexed);
      const label = filters
        ? `${q} + ${Object.entries(filters)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`
        : q;
      rows.push(
        `| \`${label}\` | ${compiled.interpretation.understood} | ${total} | ${quantile(times, 0.5).toFixed(1)} | ${quantile(times, 0.99).toFixed(1)} | ${indexed.toFixed(1)} | ${scanned.toFixed(1)} | ${(scanned / indexed).toFixed(1)}× |`,
      );
      console.log(rows[rows.length - 1]);
    }
    all.sort((a, b) => a - b);
    const plans: string[] = [];
    for (const q of ['hypodense liver lesion not cyst', '(lung nodule OR lung mass) AND spiculated']) {
      const compiled = await compiler.compile(q);
      const plan = await sql.query(
        `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT l.id, tq.score FROM (${compiled.sql}) tq JOIN lesion l ON l.id = tq.lesion_id ORDER BY tq.score DESC, l.id LIMIT 50`,
      );
      plans.push(`Plan for \`${q}\` (page query):\n\n\`\`\`\n${plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')}\n\`\`\``);
    }
    const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
    writeSection(
      'tag-query-1m',
      [
        `## Tag queries at ${LESIONS.toLocaleString('en')} lesions (\`npm run bench:tags\`)`,
        '',
        `${machineLine()}. Synthetic archive: ${LESIONS.toLocaleString('en')} lesions, ${tagRows.toLocaleString('en')} tags (coarse type + 9 drawn from ${terms} terms: default vocabulary merged with the LesaNet ontology), expanded to ${termRows.toLocaleString('en')} (term, lesion) rows in \`lesion_term\`; built in ${loadSeconds.toFixed(0)} s. Service path = parse + expand + count + page of 50 with each lesion's tags (\`LesionsService.listLesions\`), ${REPEATS} runs after 2 warm-ups. SQL columns: the count and page statements alone, one connection, mean of 3, with the planner free to use indexes vs with index, index-only and bitmap scans turned off (the scan baseline).`,
        '',
        `All queries together: **p50 ${quantile(all, 0.5).toFixed(1)} ms, p99 ${quantile(all, 0.99).toFixed(1)} ms**; indexes vs scans: geometric mean **${geo.toFixed(1)}× faster**.`,
        '',
        '| query | understood as | matches | service p50 ms | service p99 ms | SQL with indexes ms | SQL scans only ms | ratio |',
        '|---|---|---:|---:|---:|---:|---:|---:|',
        ...rows,
        '',
        'Each term is one range of `lesion_term_rank_idx` (term, confidence, lesion), already expanded to its descendants, so a page is read in confidence order; the plans show index scans per term, joins for AND and anti-joins for NOT:',
        '',
        ...plans,
      ].join('\n'),
    );
  } finally {
    await sql.end();
    await app.close();
    // BENCH_KEEP_DB=1 leaves the database for a look at plans (its name is printed).
    if (process.env.BENCH_KEEP_DB || reuse) console.log(`kept database ${db}`);
    else await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(indexDir, { recursive: true, force: true });
  }
}

function filterSql(f: Partial<LesionFilterDto>): string {
  const parts = ['true'];
  if (f.sex) parts.push(`p.sex = '${f.sex}'`);
  if (f.ageMin !== undefined) parts.push(`s.age_years >= ${Number(f.ageMin)}`);
  if (f.ageMax !== undefined) parts.push(`s.age_years <= ${Number(f.ageMax)}`);
  if (f.diameterMinMm !== undefined) parts.push(`l.long_axis_mm >= ${Number(f.diameterMinMm)}`);
  if (f.diameterMaxMm !== undefined) parts.push(`l.long_axis_mm <= ${Number(f.diameterMaxMm)}`);
  if (f.split?.length) parts.push(`l.split IN (${f.split.map((s) => ({ train: 1, val: 2, test: 3 })[s]).join(',')})`);
  return parts.join(' AND ');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
