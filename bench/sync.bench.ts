/**
 * The change log across processes. Propagation: process A (the CLI, `node dist/src/cli/main.js ingest`,
 * embedding while it imports) writes; process B (this one: the whole app on the same database) follows
 * the log; per embedding, the time from its write in A (the entry's clock_timestamp) to the moment B's
 * index has applied it (a handler subscribed after the index's: the lesion is searchable in B). Cost:
 * the import's database writes with the log's triggers enabled and disabled, alternating, B stopped.
 *
 *   npm run bench:sync              (BENCH_LESIONS rows per import, default 1000; BENCH_ROUNDS of the cost comparison, default 4)
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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const ROOT = path.resolve(__dirname, '..');
const LOGGED_TABLES = ['lesion_embedding', 'lesion', 'patient', 'study', 'series', 'tag_state', 'encoder_model'];

function fixtureLesions(): FixtureLesion[] {
  // About DeepLesion's proportions: 7.4 lesions per patient, 3.1 per study.
  return Array.from({ length: LESIONS }, (_, i) => {
    const patient = Math.floor(i / 7.4) + 1;
    return {
      patient,
      study: 1 + (Math.floor(i / 3.1) % 2),
      series: 1,
      slice: 10 + (i % 97),
      type: 1 + (i % 8),
      split: (1 + (i % 3)) as 1 | 2 | 3,
      sex: patient % 2 ? 'M' : 'F',
      age: 20 + (patient % 70),
    };
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sync-'));
  const db = `bench_sync_${process.pid}`;
  await admin(`CREATE DATABASE ${db}`);
  const url = databaseUrl(db);
  const env = {
    ...process.env,
    DATABASE_URL: url,
    DATA_DIR: path.join(dir, 'data'),
    INDEX_DIR: path.join(dir, 'index'),
    MODELS_DIR: path.join(os.tmpdir(), 'lesion-retrieval-bench-models'),
    SAMPLE_AUTOLOAD: 'false',
    BOOTSTRAP_ADMIN_KEY: 'never',
    TAG_PREDICTION_DELAY_MS: '-1',
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  const sql = new Client({ connectionString: url });
  try {
    process.stdout.write(`writing ${LESIONS} rows and their key slices… `);
    const { csv, images } = writeDeepLesionFixture(path.join(dir, 'fixture'), fixtureLesions());
    console.log('done');

    /** One CLI import; its time is the job's own (started_at to finished_at), without the CLI's start-up. */
    const importOnce = async (dataset: string, embed: boolean) => {
      await promisify(execFile)(
        process.execPath,
        [path.join(ROOT, 'dist/src/cli/main.js'), 'ingest', 'deeplesion', '--csv', csv, '--images', images, '--dataset', dataset],
        {
          cwd: ROOT,
          env: { ...env, EMBED_ON_INGEST: String(embed) },
          timeout: 3_600_000,
        },
      );
      const [job] = (
        await sql.query(
          `SELECT extract(epoch FROM finished_at - started_at)::float AS seconds, imported_rows FROM ingest_job WHERE dataset = $1 ORDER BY started_at DESC LIMIT 1`,
          [dataset],
        )
      ).rows;
      if (job.imported_rows !== LESIONS) throw new Error(`imported ${job.imported_rows} of ${LESIONS} rows`);
      return job.seconds as number;
    };

    // 1. Propagation: A imports with embedding while B (this process, the whole app) follows the log.
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, url), { logger: ['fatal', 'error', 'warn'] });
    await app.init();
    await sql.connect();
    const index = app.get(VectorIndexService);
    if (!index.isReady()) throw new Error(`process B's index is not ready: ${index.status().message}`);
    const lags: number[] = [];
    // Called after the index applied each batch: from here on the lesion is searchable in B.
    app.get(ChangeFeedService).subscribe((entries) => {
      const now = Date.now();
      for (const e of entries) if (e.kind === 'embedding') lags.push(now - e.createdAt.getTime());
    });
    const importSeconds = await importOnce('propagation', true);
    await app.get(ChangeFeedService).syncNow();
    const points = index.status().points;
    await app.close();
    lags.sort((x, y) => x - y);
    console.log(
      `import with embedding: ${LESIONS} lesions in ${importSeconds.toFixed(1)} s; ${lags.length} applied in B, p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms`,
    );

    // 2. The log's cost on the write path, B stopped (on two cores it would compete with A): the import's
    // database writes with the triggers enabled and disabled, alternating. Embedding is left out of the
    // import (the encoder's time does not change with the log) and its writes are made here as the
    // embedder makes them: one INSERT … ON CONFLICT of 32 vectors per statement.
    const [{ dim }] = (await sql.query(`SELECT dim FROM encoder_model LIMIT 1`)).rows;
    const vectorBytes = Buffer.alloc(dim * 4, 1);
    const writeEmbeddings = async (dataset: string) => {
      const ids: number[] = (
        await sql.query(`SELECT l.id FROM lesion l JOIN patient p ON p.id = l.patient_id WHERE p.dataset = $1 ORDER BY l.id`, [dataset])
      ).rows.map((r) => r.id);
      const [{ id: model }] = (await sql.query(`SELECT id FROM encoder_model LIMIT 1`)).rows;
      const started = Date.now();
      for (let i = 0; i < ids.length; i += 32) {
        const batch = ids.slice(i, i + 32);
        await sql.query(
          `INSERT INTO lesion_embedding (lesion_id, model_id, vector) SELECT lesion_id, $1, vector FROM unnest($2::int[], $3::bytea[]) AS t(lesion_id, vector)
           ON CONFLICT (model_id, lesion_id) DO UPDATE SET vector = EXCLUDED.vector, created_at = now() RETURNING label`,
          [model, batch, batch.map(() => vectorBytes)],
        );
      }
      return (Date.now() - started) / 1000;
    };
    const runs: { logged: boolean; metadata: number; embeddings: number; reimport: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const logged of round % 2 ? [false, true] : [true, false]) {
        await sql.query(LOGGED_TABLES.map((t) => `ALTER TABLE ${t} ${logged ? 'ENABLE' : 'DISABLE'} TRIGGER USER`).join(';'));
        const dataset = `cost${round}-${logged ? 'log' : 'nolog'}`;
        const metadata = await importOnce(dataset, false);
        const embeddings = await writeEmbeddings(dataset);
        // The same file again: every row rewritten, unchanged, so every row goes through the lesion trigger's comparison.
        const reimport = await importOnce(dataset, false);
        runs.push({ logged, metadata, embeddings, reimport });
        console.log(
          `round ${round + 1} log ${logged ? 'on ' : 'off'}: import ${metadata.toFixed(2)} s, embedding writes ${embeddings.toFixed(2)} s, re-import ${reimport.toFixed(2)} s`,
        );
      }
    }
    await sql.query(LOGGED_TABLES.map((t) => `ALTER TABLE ${t} ENABLE TRIGGER USER`).join(';'));

    const total = (logged: boolean, f: (r: (typeof runs)[number]) => number) =>
      runs.filter((r) => r.logged === logged).reduce((s, r) => s + f(r), 0) / (runs.length / 2);
    const writes = (r: (typeof runs)[number]) => r.metadata + r.embeddings;
    const added = total(true, writes) - total(false, writes);
    const lines = [
      '## Change-log propagation and cost (`npm run bench:sync`)',
      '',
      `${machineLine()}; PostgreSQL at ${new URL(ADMIN_URL).host}. ${LESIONS} synthetic DL_info.csv rows per import (64×64 16-bit key slices${LESIONS < 32735 ? `; 32,735, DeepLesion's size, would take about ${Math.round((importSeconds * 32735) / LESIONS / 60)} min per import with embedding here, so ${LESIONS}` : ''}).`,
      '',
      `**Propagation.** Process A: \`node dist/src/cli/main.js ingest deeplesion\`, embedding while it imports (default encoder, CPU): ${importSeconds.toFixed(1)} s for ${LESIONS} lesions (the import job's own time). Process B: the whole app on the same database, following the change log (LISTEN/NOTIFY, poll ${config.changeLog.pollMs} ms). From each embedding's write in A (its log entry's clock_timestamp) to the moment B's index has applied it (searchable in B), over ${lags.length} embeddings: p50 **${percentile(lags, 50)} ms**, p99 **${percentile(lags, 99)} ms**, max ${lags[lags.length - 1]} ms. B ended with ${points} points.`,
      '',
      `**Cost.** The import's database writes with the log's triggers enabled and disabled (\`ALTER TABLE … DISABLE TRIGGER USER\`), alternating, B stopped (on two cores it would compete with A). Metadata import (EMBED_ON_INGEST=false, job time), then the embedder's writes (${dim}-dim vectors, 32 per INSERT … ON CONFLICT, as EmbeddingsRepository writes them), then a re-import of the same file (every row rewritten unchanged: every row goes through the lesion trigger's comparison, none is logged).`,
      '',
      '| round | log | metadata import | embedding writes | re-import |',
      '|---|---|---|---|---|',
      ...runs.map(
        (r, i) =>
          `| ${Math.floor(i / 2) + 1} | ${r.logged ? 'on' : 'off'} | ${r.metadata.toFixed(2)} s | ${r.embeddings.toFixed(2)} s | ${r.reimport.toFixed(2)} s |`,
      ),
      '',
      `Mean per import: writes (metadata + embeddings) ${total(true, writes).toFixed(2)} s with the log, ${total(false, writes).toFixed(2)} s without (${((total(true, writes) / total(false, writes) - 1) * 100).toFixed(1)} %); re-import ${total(true, (r) => r.reimport).toFixed(2)} s against ${total(false, (r) => r.reimport).toFixed(2)} s (${((total(true, (r) => r.reimport) / total(false, (r) => r.reimport) - 1) * 100).toFixed(1)} %).`,
      `Against the whole import with embedding (${importSeconds.toFixed(1)} s above), the log adds **${((added / importSeconds) * 100).toFixed(1)} %** (${added.toFixed(2)} s; negative: within this shared machine's noise).`,
    ];
    console.log(lines.join('\n'));
    if (process.env.BENCH_WRITE !== '0') writeSection('sync', lines.join('\n'));
  } finally {
    await sql.end().catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
