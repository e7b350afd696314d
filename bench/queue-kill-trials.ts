// kill -9 of a worker mid-import (issue 15): an api process (ROLE=api) and a worker (ROLE=worker) on one
// fresh database and the real Redis; per trial, an import of the real DeepLesion samples is posted to the
// api under a dataset of its own, the worker is killed with SIGKILL at a random committed row, a new
// worker is started, and the job must finish with as many lesions as CSV rows, none twice, one embedding
// each; at the end every process's index must hold exactly the database's embeddings.
//
//   npm run trials:queue-kill      (QUEUE_KILL_TRIALS=10, QUEUE_KILL_SEED=15; QUEUE_KILL_WRITE=0 to skip docs/BENCHMARKS.md)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { Prng } from '../src/sample/prng';
import { killServiceProcess, ServiceProcess, startServiceProcess, stopServiceProcess } from '../test/helpers/service-process';
import { waitFor } from '../test/helpers/test-app';
import { admin, databaseUrl } from './bench-database';

const ROOT = path.resolve(__dirname, '..');
const SAMPLES = path.resolve(ROOT, '../shared/data/deeplesion-samples');
const TRIALS = Number(process.env.QUEUE_KILL_TRIALS ?? 10);
const rng = new Prng(Number(process.env.QUEUE_KILL_SEED ?? 15));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface JobView {
  status: string;
  processedRows: number;
  importedRows: number;
  totalRows: number;
}

async function main(): Promise<void> {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const name = `queue_kill_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-kill-'));
  const rows = fs.readFileSync(path.join(SAMPLES, 'lesions.csv'), 'utf8').trim().split('\n').length - 1;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: url,
    DATA_DIR: path.join(work, 'data'),
    INDEX_DIR: path.join(work, 'index'),
    MODELS_DIR: path.join(os.tmpdir(), 'lesion-retrieval-test-models'),
    SAMPLE_AUTOLOAD: 'false',
    BOOTSTRAP_ADMIN_KEY: 'never',
    TAG_PREDICTION_DELAY_MS: '-1',
    ENCODER_PREPARE_WORKERS: '0',
    LOG_LEVEL: 'warn',
    REDIS_URL,
    QUEUE_PREFIX: `trials-${randomBytes(4).toString('hex')}`,
    JOB_LOCK_MS: '2000',
    INGEST_ROOTS: SAMPLES,
    INGEST_BATCH_SIZE: '4',
    INGEST_BATCH_DELAY_MS: '200',
  };
  const sql = new Client({ connectionString: url });
  let api: ServiceProcess | null = null;
  let worker: ServiceProcess | null = null;
  const trials: { n: number; killedAt: number; lesions: number; keys: number; embedded: number; seconds: number; ok: boolean }[] = [];
  try {
    api = await startServiceProcess(env, 'api');
    worker = await startServiceProcess(env, 'worker');
    const key = execFileSync(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), 'keys', 'create', '--name', 'trials', '--role', 'admin'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop()!
      .trim();
    await sql.connect();
    const call = async (method: string, route: string, body?: object) =>
      (
        await fetch(`${api!.url}${route}`, {
          method,
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: body ? JSON.stringify(body) : undefined,
        })
      ).json();
    for (let n = 1; n <= TRIALS; n++) {
      const t0 = performance.now();
      const dataset = `trial-${n}`;
      const target = 4 + Math.floor(rng.next() * (rows - 8));
      const job = (await call('POST', '/api/v1/admin/ingest', {
        format: 'samples',
        csv: path.join(SAMPLES, 'lesions.csv'),
        images: path.join(SAMPLES, 'images'),
        dataset,
      })) as { id: string };
      const at = await waitFor(
        async () => {
          const view = (await call('GET', `/api/v1/admin/ingest/jobs/${job.id}`)) as JobView;
          return view.processedRows >= target && view.status === 'running' && view;
        },
        300_000,
        20,
      );
      await killServiceProcess(worker!);
      worker = await startServiceProcess(env, 'worker');
      const done = await waitFor(
        async () => {
          const view = (await call('GET', `/api/v1/admin/ingest/jobs/${job.id}`)) as JobView;
          return (view.status === 'completed' || view.status === 'failed') && view;
        },
        600_000,
        200,
      );
      const [{ lesions, keys, embedded }] = (
        await sql.query(
          `SELECT count(*)::int AS lesions, count(DISTINCT (l.series_id, l.key_slice_index, l.lesion_in_image))::int AS keys, count(e.lesion_id)::int AS embedded
             FROM lesion l JOIN patient p ON p.id = l.patient_id LEFT JOIN lesion_embedding e ON e.lesion_id = l.id WHERE p.dataset = $1`,
          [dataset],
        )
      ).rows;
      const ok = done.status === 'completed' && lesions === rows && keys === rows && embedded === rows;
      trials.push({ n, killedAt: at.processedRows, lesions, keys, embedded, seconds: (performance.now() - t0) / 1000, ok });
      console.log(
        `trial ${n}: killed at row ${at.processedRows}/${rows}, ${done.status}, ${lesions} lesions (${keys} distinct), ${embedded} embedded: ${ok ? 'ok' : 'FAILED'}`,
      );
    }
    // Every process's index holds exactly the database's embeddings.
    const indexes = [];
    for (const service of [api, worker]) {
      const ready = (await (await fetch(`${service.url}/health/ready`)).json()) as {
        info?: { index?: { points: number; databaseEmbeddings: number } };
        error?: { index?: { points: number; databaseEmbeddings: number } };
      };
      const index = ready.info?.index ?? ready.error?.index;
      indexes.push(`${service.role} ${index?.points}/${index?.databaseEmbeddings}`);
    }
    const passed = trials.filter((t) => t.ok).length;
    const lines = [
      '## kill -9 of a queue worker mid-import (`npm run trials:queue-kill`)',
      '',
      `${machineLine()}; PostgreSQL + Redis on the same machine. One api process (ROLE=api) and one worker (ROLE=worker, JOB_LOCK_MS=2000); per trial the real DeepLesion samples (${rows} rows, batches of 4) are posted to the api under a new dataset, the worker is killed with SIGKILL once the api reports a random row committed, and a new worker is started.`,
      '',
      '| trial | killed at row | lesions | distinct | embedded | seconds | ok |',
      '|---|---|---|---|---|---|---|',
      ...trials.map((t) => `| ${t.n} | ${t.killedAt} | ${t.lesions} | ${t.keys} | ${t.embedded} | ${t.seconds.toFixed(1)} | ${t.ok ? 'yes' : '**no**'} |`),
      '',
      `**${passed}/${trials.length} trials** finished with every row imported once and embedded. Indexes at the end (points/database embeddings): ${indexes.join(', ')}.`,
    ];
    console.log(lines.join('\n'));
    if (process.env.QUEUE_KILL_WRITE !== '0') writeSection('queue-kill', lines.join('\n'));
    if (passed !== trials.length) process.exitCode = 1;
  } finally {
    await Promise.all([api, worker].filter((s): s is ServiceProcess => s !== null).map(stopServiceProcess));
    await sql.end().catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
