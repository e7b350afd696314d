/**
 * Cohort export at 1,000,000 members: the streamed CSV and JSON exports through HTTP (server-side
 * cursor, back-pressure from the socket), against a buffered baseline that reads every member in one
 * query and serialises it in memory, on the same archive in the same run. Peak RSS is sampled every
 * 20 ms (server and client share this process; the client only counts bytes).
 *
 *   npm run bench:cohort-export     (PostgreSQL at 127.0.0.1:5432, or BENCH_PG_ADMIN_URL;
 *                                    BENCH_DB=name reuses an archive kept by bench:tags with BENCH_KEEP_DB=1)
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module';
import { APP_OPTIONS, configureApp, createHttpAdapter } from '../src/app.setup';
import { AuthService } from '../src/auth/auth.service';
import { loadConfig } from '../src/config/app-config';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { VocabularyService } from '../src/tags/vocabulary.service';
import { loadSyntheticArchive } from './synthetic-archive';
import { ADMIN_URL, databaseUrl } from './bench-database';

const LESIONS = Number(process.env.BENCH_LESIONS ?? 1_000_000);

function sampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  return { stop: () => (clearInterval(timer), Math.max(peak, process.memoryUsage().rss)) };
}

function download(url: string, key: string): Promise<{ bytes: number; lines: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { Authorization: `Bearer ${key}` } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        let bytes = 0;
        let lines = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
        });
        res.on('end', () => resolve({ bytes, lines }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function main(): Promise<void> {
  const reuse = process.env.BENCH_DB;
  const db = reuse ?? `bench_export_${process.pid}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  if (!reuse) await admin.query(`CREATE DATABASE ${db}`);
  const url = databaseUrl(db);
  const indexDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-export-index-'));
  const config = loadConfig({ DATABASE_URL: url, SAMPLE_AUTOLOAD: 'false', INDEX_DIR: indexDir, TAG_PREDICTION_DELAY_MS: '-1', LOG_LEVEL: 'error' });
  const app = await NestFactory.create(AppModule.forRoot(config, url), createHttpAdapter(), { ...APP_OPTIONS, logger: ['error'] });
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as { port: number }).port;
  const sql = new Client({ connectionString: url });
  await sql.connect();
  try {
    if (!reuse) await loadSyntheticArchive(sql, app.get(VocabularyService), LESIONS);
    const key = (await app.get(AuthService).createKey('bench-export', 'curator')).key;
    const created = await fetch(`http://127.0.0.1:${port}/api/v1/cohorts`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Every lesion', definition: {} }),
    }).then((r) => r.json() as Promise<{ cohort: { id: number }; counts: { total: number } }>);
    const members = created.counts.total;
    const rows: string[] = [];
    global.gc?.();
    const idle = process.memoryUsage().rss;
    for (const format of ['csv', 'json'] as const) {
      global.gc?.();
      const before = process.memoryUsage().rss;
      const s = sampler();
      const t0 = performance.now();
      const got = await download(`http://127.0.0.1:${port}/api/v1/cohorts/${created.cohort.id}/export?format=${format}`, key);
      const seconds = (performance.now() - t0) / 1000;
      const peak = s.stop();
      rows.push(
        `| streamed ${format.toUpperCase()} (ours) | ${(members / seconds).toFixed(0)} | ${(got.bytes / 2 ** 20).toFixed(0)} MiB | ${((peak - before) / 2 ** 20).toFixed(0)} MiB | ${(peak / 2 ** 20).toFixed(0)} MiB |`,
      );
      console.log(rows[rows.length - 1], got.lines);
    }
    // Baseline: one query for every member with its tags, serialised in memory, as a naive endpoint would.
    global.gc?.();
    const before = process.memoryUsage().rss;
    const s = sampler();
    const t0 = performance.now();
    const all = await app
      .get(DataSource)
      .query(
        `SELECT l.*, (SELECT string_agg(v.name || ':' || t.confidence || ':' || t.source, '|') FROM lesion_tag t JOIN vocabulary_term v ON v.id = t.term_id WHERE t.lesion_id = l.id AND NOT t.rejected) AS tags FROM lesion l ORDER BY l.id`,
      );
    const read = (performance.now() - t0) / 1000;
    let size: string;
    try {
      size = `${(JSON.stringify(all).length / 2 ** 20).toFixed(0)} MiB`;
    } catch (error) {
      // A single JSON string of a million members can exceed what V8 allows in one string.
      size = `failed: ${(error as Error).message} (rows read in ${read.toFixed(0)} s)`;
    }
    const seconds = (performance.now() - t0) / 1000;
    const peak = s.stop();
    rows.push(
      `| buffered JSON (baseline) | ${(members / seconds).toFixed(0)} | ${size} | ${((peak - before) / 2 ** 20).toFixed(0)} MiB | ${(peak / 2 ** 20).toFixed(0)} MiB |`,
    );
    console.log(rows[rows.length - 1]);
    writeSection(
      'cohort-export',
      [
        `## Cohort export at ${members.toLocaleString('en')} members (\`npm run bench:cohort-export\`)`,
        '',
        `${machineLine()}. Cohort "every lesion" of the synthetic archive of \`bench:tags\` (10 tags per lesion). Streamed: \`GET /api/v1/cohorts/:id/export\` read by an HTTP client in the same process (it only counts bytes); the server reads a PostgreSQL cursor 2,000 rows at a time and waits for the socket to drain. Baseline: the same members and tags in one query, serialised with JSON.stringify. RSS growth = peak RSS during the export minus RSS just before it (process RSS ${(idle / 2 ** 20).toFixed(0)} MiB at rest).`,
        '',
        '| export | members/s | size | RSS growth | peak RSS |',
        '|---|---:|---:|---:|---:|',
        ...rows,
      ].join('\n'),
    );
  } finally {
    await sql.end();
    await app.close();
    if (!reuse && !process.env.BENCH_KEEP_DB) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(indexDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
