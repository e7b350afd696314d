/**
 * Propagation through the change log: process A (the CLI, `node dist/src/cli/main.js ingest`, embedding
 * while it imports) writes; process B (this one: the whole app on the same database) follows the log.
 * Measures, per embedding, the time from its write in A (the log entry's clock_timestamp) to the moment
 * B's index has applied it (a handler subscribed after the index's, so the lesion is searchable in B),
 * and the import's throughput with the log's triggers enabled against the same import with them
 * disabled, alternating runs in the same session.
 *
 *   npm run bench:sync              (BENCH_LESIONS rows per run, default 1000; BENCH_ROUNDS, default 2)
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import { ChangeFeedService } from '../src/change-log/change-feed.service';
import { loadConfig } from '../src/config/app-config';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { VectorIndexService } from '../src/vector-index/vector-index.service';
import { FixtureLesion, writeDeepLesionFixture } from '../test/helpers/fixtures';
import { ADMIN_URL, admin, databaseUrl } from './bench-database';

const LESIONS = Number(process.env.BENCH_LESIONS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ROOT = path.resolve(__dirname, '..');
const LOGGED_TABLES = ['lesion_embedding', 'lesion', 'patient', 'study', 'series', 'tag_state', 'encoder_model'];

function fixtureLesions(): FixtureLesion[] {
  // About DeepLesion's proportions: 7.4 lesions per patient, 3.1 per study.
  return Array.from({ length: LESIONS }, (_, i) => {
    const patient = Math.floor(i / 7.4) + 1;
    return { patient, study: 1 + (Math.floor(i / 3.1) % 2), series: 1, slice: 10 + (i % 97), type: 1 + (i % 8), split: (1 + (i % 3)) as 1 | 2 | 3, sex: patient % 2 ? 'M' : 'F', age: 20 + (patient % 70) };
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sync-'));
  const db = `bench_sync_${process.pid}`;
  await admin(`CREATE DATABASE ${db}`);
  const url = databaseUrl(db);
  const modelsDir = path.join(os.tmpdir(), 'lesion-retrieval-bench-models');
  const env = {
    ...process.env,
    DATABASE_URL: url,
    DATA_DIR: path.join(dir, 'data'),
    INDEX_DIR: path.join(dir, 'index'),
    MODELS_DIR: modelsDir,
    SAMPLE_AUTOLOAD: 'false',
    BOOTSTRAP_ADMIN_KEY: 'never',
    TAG_PREDICTION_DELAY_MS: '-1',
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, url), { logger: ['fatal', 'error', 'warn'] });
  const sql = new Client({ connectionString: url });
  await sql.connect();
  try {
    await app.init();
    const index = app.get(VectorIndexService);
    if (!index.isReady()) throw new Error(`process B's index is not ready: ${index.status().message}`);
    // Called after the index applied each batch: from here on the lesion is searchable in B.
    let lags: number[] = [];
    app.get(ChangeFeedService).subscribe((entries) => {
      const now = Date.now();
      for (const e of entries) if (e.kind === 'embedding') lags.push(now - e.createdAt.getTime());
    });

    process.stdout.write(`writing ${LESIONS} rows and their key slices… `);
    const { csv, images } = writeDeepLesionFixture(path.join(dir, 'fixture'), fixtureLesions());
    console.log('done');
    const runs: { logged: boolean; seconds: number; reimportSeconds: number; lags: number[] }[] = [];
    /** One CLI import; its time is the job's own (started_at to finished_at), without the CLI's start-up. */
    const importOnce = async (dataset: string, embed: boolean) => {
      await promisify(execFile)(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), 'ingest', 'deeplesion', '--csv', csv, '--images', images, '--dataset', dataset], {
        cwd: ROOT,
        env: { ...env, EMBED_ON_INGEST: String(embed) },
        timeout: 3_600_000,
      });
      const [job] = (await sql.query(`SELECT extract(epoch FROM finished_at - started_at)::float AS seconds, imported_rows FROM ingest_job WHERE dataset = $1 ORDER BY started_at DESC LIMIT 1`, [dataset])).rows;
      if (job.imported_rows !== LESIONS) throw new Error(`imported ${job.imported_rows} of ${LESIONS} rows`);
      return job.seconds as number;
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const logged of [true, false]) {
        await sql.query(logged ? LOGGED_TABLES.map((t) => `ALTER TABLE ${t} ENABLE TRIGGER USER`).join(';') : LOGGED_TABLES.map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER`).join(';'));
        lags = [];
        const dataset = `run${round}-${logged ? 'log' : 'nolog'}`;
        const seconds = await importOnce(dataset, true);
        if (logged) await app.get(ChangeFeedService).syncNow();
        const applied = [...lags];
        // The same file again, metadata only: every row is rewritten, so every row goes through the lesion trigger's comparison.
        const reimportSeconds = await importOnce(dataset, false);
        runs.push({ logged, seconds, reimportSeconds, lags: applied });
        console.log(
          `round ${round + 1} ${logged ? 'with the log' : 'without   '}: ${LESIONS} lesions in ${seconds.toFixed(1)} s (${(LESIONS / seconds).toFixed(0)}/s), re-import ${reimportSeconds.toFixed(1)} s${logged ? `, ${applied.length} embeddings applied in B` : ''}`,
        );
      }
    }
    await sql.query(LOGGED_TABLES.map((t) => `ALTER TABLE ${t} ENABLE TRIGGER USER`).join(';'));

    const logged = runs.filter((r) => r.logged);
    const unlogged = runs.filter((r) => !r.logged);
    const rate = (rs: typeof runs) => (rs.length * LESIONS) / rs.reduce((s, r) => s + r.seconds, 0);
    const reimportRate = (rs: typeof runs) => (rs.length * LESIONS) / rs.reduce((s, r) => s + r.reimportSeconds, 0);
    const reimportCost = 1 - reimportRate(logged) / reimportRate(unlogged);
    const allLags = logged.flatMap((r) => r.lags).sort((a, b) => a - b);
    const cost = 1 - rate(logged) / rate(unlogged);
    const [{ embeddings }] = (await sql.query(`SELECT count(*)::int AS embeddings FROM lesion_embedding`)).rows;
    const lines = [
      '## Change-log propagation (`npm run bench:sync`)',
      '',
      `${machineLine()}; PostgreSQL at ${new URL(ADMIN_URL).host}; ${new Date().toISOString().slice(0, 10)}.`,
      `Process A: \`node dist/src/cli/main.js ingest deeplesion\` of ${LESIONS} synthetic rows per run (64×64 16-bit key slices), embedding while it imports (default encoder, CPU).`,
      `Process B: the whole app on the same database, following the change log (LISTEN/NOTIFY, poll ${config.changeLog.pollMs} ms).`,
      `Runs alternate with the log's triggers enabled and disabled (\`ALTER TABLE … DISABLE TRIGGER USER\`), ${ROUNDS} of each.`,
      '',
      'Times are the import jobs\' own (started_at to finished_at), without the CLI\'s start-up. Each import is followed by a re-import of the same file without embedding: every row rewritten, unchanged, so every row goes through the lesion trigger\'s comparison and none is logged.',
      '',
      '| run | log | import with embedding | lesions/s | metadata re-import | rows/s |',
      '|---|---|---|---|---|---|',
      ...runs.map((r, i) => `| ${i + 1} | ${r.logged ? 'on' : 'off'} | ${r.seconds.toFixed(1)} s | ${(LESIONS / r.seconds).toFixed(1)} | ${r.reimportSeconds.toFixed(2)} s | ${(LESIONS / r.reimportSeconds).toFixed(0)} |`),
      '',
      `Import with embedding: ${rate(logged).toFixed(1)} lesions/s with the log, ${rate(unlogged).toFixed(1)} without: the log costs **${(cost * 100).toFixed(1)} %**. Metadata re-import: ${reimportRate(logged).toFixed(0)} rows/s with the log, ${reimportRate(unlogged).toFixed(0)} without: **${(reimportCost * 100).toFixed(1)} %** (negative numbers: the difference is within this shared machine's noise).`,
      `Propagation from the write in A to searchable in B, over ${allLags.length} embeddings: p50 **${percentile(allLags, 50)} ms**, p99 **${percentile(allLags, 99)} ms**, max ${allLags[allLags.length - 1]} ms.`,
      `B's index afterwards: ${index.status().points} points (the database holds ${embeddings} embeddings, ${unlogged.length * LESIONS} of them written while the log was off and so unknown to B until it restarts).`,
    ];
    console.log(lines.join('\n'));
    if (process.env.BENCH_WRITE !== '0') writeSection('sync', lines.join('\n'));
  } finally {
    await sql.end();
    await app.close();
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
