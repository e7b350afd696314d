// kill -9 trials (issue 13): the CLI import or embedding run is killed with SIGKILL at a random
// moment on a fresh database, run again, and then checked: as many lesions as CSV rows, none twice,
// one embedding each, `index verify` clean. Archives are full of duplicate images (a few real key
// slices copied under many names), so the index's alias groups go through every kill too.
//
//   npm run trials:kill      (KILL_TRIALS=20, KILL_ROWS=60, KILL_SEED=13; KILL_WRITE=0 to skip docs/BENCHMARKS.md)
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { Prng } from '../src/sample/prng';
import { admin, databaseUrl } from './bench-database';
import { writeDuplicateArchive } from './duplicate-archive';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const TRIALS = Number(process.env.KILL_TRIALS ?? 20);
const ROWS = Number(process.env.KILL_ROWS ?? 60);
const rng = new Prng(Number(process.env.KILL_SEED ?? 13));

type Phase = 'ingest' | 'embed';
interface Archive {
  name: string;
  csv: string;
  images: string;
  rows: number;
  distinct: string;
}
interface Trial {
  n: number;
  phase: Phase;
  archive: string;
  killedAt: string;
  lesions: number;
  rows: number;
  duplicates: number;
  embedded: number;
  verify: string;
  ok: boolean;
  seconds: number;
}

function cli(args: string[], env: Record<string, string>): ChildProcess {
  // Its own process group, so nothing it started outlives the kill.
  return spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function finish(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, output };
}

/** Polls `progress` until it reaches `target` (then kills after a random few ms) or the child ends first. */
async function killAt(child: ChildProcess, db: () => Promise<Client | null>, progress: (c: Client) => Promise<number>, target: number): Promise<string> {
  const exited = new Promise<null>((resolve) => child.on('exit', () => resolve(null)));
  let ended = false;
  void exited.then(() => (ended = true));
  for (;;) {
    if (ended) return 'ended first';
    const client = await db();
    const done = client ? await progress(client).catch(() => 0) : 0;
    if (done >= target) {
      await new Promise((r) => setTimeout(r, rng.int(0, 150)));
      if (ended) return 'ended first';
      child.kill('SIGKILL');
      await exited;
      const after = client ? await progress(client).catch(() => done) : done;
      return `${after}/${ROWS}`;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function count(client: Client, sql: string): Promise<number> {
  const { rows } = await client.query(sql);
  return Number(rows[0].n);
}

async function trial(n: number, phase: Phase, archive: Archive, work: string): Promise<Trial> {
  const started = Date.now();
  const name = `kill_trial_${process.pid}_${n}`;
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  const indexDir = fs.mkdtempSync(path.join(work, `index-${n}-`));
  const env = {
    DATABASE_URL: databaseUrl(name),
    INDEX_DIR: indexDir,
    MODELS_DIR: process.env.MODELS_DIR ?? path.join(os.tmpdir(), 'lesion-retrieval-test-models'),
    LOG_LEVEL: 'error',
    SAMPLE_AUTOLOAD: 'false',
    TAG_PREDICTION_DELAY_MS: '-1',
    INGEST_BATCH_SIZE: '10',
    ENCODER_BATCH_SIZE: '8',
    ENCODER_PREPARE_WORKERS: '1',
    ENCODER_THREADS: '1',
  };
  const ingestArgs = ['ingest', 'samples', '--csv', archive.csv, '--images', archive.images, '--dataset', 'trial'];
  let client: Client | null = null;
  // The database has tables only once the CLI has run its migrations.
  const db = async () => {
    if (!client) {
      const c = new Client({ connectionString: env.DATABASE_URL });
      await c.connect();
      client = c;
    }
    return client;
  };
  try {
    const target = rng.int(0, archive.rows - 1);
    let killedAt: string;
    if (phase === 'ingest') {
      const victim = cli(ingestArgs, { ...env, INGEST_BATCH_DELAY_MS: '40' });
      const output = finish(victim);
      killedAt = `row ${await killAt(victim, db, (c) => count(c, `SELECT coalesce(max(cursor), 0) AS n FROM ingest_job`), target)}`;
      await output;
      const rerun = await finish(cli(ingestArgs, env));
      if (rerun.code !== 0) throw new Error(`re-run ingest exited ${rerun.code}: ${rerun.output.slice(-400)}`);
    } else {
      const imported = await finish(cli(ingestArgs, { ...env, EMBED_ON_INGEST: 'false' }));
      if (imported.code !== 0) throw new Error(`ingest exited ${imported.code}: ${imported.output.slice(-400)}`);
      const victim = cli(['embed'], env);
      const output = finish(victim);
      killedAt = `embedding ${await killAt(victim, db, (c) => count(c, `SELECT count(*) AS n FROM lesion_embedding`), target)}`;
      await output;
      const rerun = await finish(cli(['embed'], env));
      if (rerun.code !== 0) throw new Error(`re-run embed exited ${rerun.code}: ${rerun.output.slice(-400)}`);
    }
    const c = await db();
    const lesions = await count(c, `SELECT count(*) AS n FROM lesion`);
    const duplicates =
      lesions -
      (await count(c, `SELECT count(DISTINCT (l.patient_id, l.study_id, l.series_id, l.key_slice_index, l.lesion_in_image)) AS n FROM lesion l`)) +
      (await count(c, `SELECT count(*) - count(DISTINCT (lesion_id, model_id)) AS n FROM lesion_embedding`)) +
      (await count(c, `SELECT count(*) - count(DISTINCT (dataset, patient_index)) AS n FROM patient`));
    const embedded = await count(c, `SELECT count(DISTINCT lesion_id) AS n FROM lesion_embedding`);
    const verified = await finish(cli(['index', 'verify'], env));
    const line = /Index (\d+) lesions on (\d+) graph points.*unfindable (\d+)/.exec(verified.output);
    const verify =
      verified.code === 0 && line ? `clean (${line[1]} on ${line[2]} points)` : `FAILED: ${verified.output.trim().split('\n').slice(-2).join(' ')}`;
    const ok = lesions === archive.rows && duplicates === 0 && embedded === archive.rows && verified.code === 0;
    return { n, phase, archive: archive.name, killedAt, lesions, rows: archive.rows, duplicates, embedded, verify, ok, seconds: (Date.now() - started) / 1000 };
  } finally {
    await (client as Client | null)?.end();
    await admin(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
    fs.rmSync(indexDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm run trials:kill does)`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kill-trials-'));
  try {
    const archives: Archive[] = [
      { name: 'duplicates', distinct: '4 images', ...writeDuplicateArchive(path.join(work, 'duplicates'), ROWS, 4) },
      { name: 'real + duplicates', distinct: '51 + 2 images', ...writeDuplicateArchive(path.join(work, 'mixed'), ROWS, 2, true) },
    ];
    const results: Trial[] = [];
    for (let n = 1; n <= TRIALS; n++) {
      const phase: Phase = n % 2 ? 'ingest' : 'embed';
      const archive = archives[Math.floor((n - 1) / 2) % 2];
      const result = await trial(n, phase, archive, work).catch((error: Error): Trial => ({
        n,
        phase,
        archive: archive.name,
        killedAt: '-',
        lesions: -1,
        rows: archive.rows,
        duplicates: -1,
        embedded: -1,
        verify: `ERROR ${error.message}`,
        ok: false,
        seconds: 0,
      }));
      results.push(result);
      console.log(
        `trial ${n}: ${phase} on ${archive.name}, killed at ${result.killedAt}: lesions ${result.lesions}/${result.rows}, duplicates ${result.duplicates}, embedded ${result.embedded}, verify ${result.verify} (${result.seconds.toFixed(0)} s)`,
      );
    }
    const failed = results.filter((r) => !r.ok).length;
    const killed = results.filter((r) => !r.killedAt.includes('ended first') && r.killedAt !== '-').length;
    const lost = results.reduce((sum, r) => sum + Math.max(0, r.rows - Math.max(r.lesions, 0)), 0);
    const duplicated = results.reduce((sum, r) => sum + Math.max(0, r.duplicates), 0);
    const table = [
      '| # | killed during | archive | killed at | lesions / CSV rows | duplicates | embedded | `index verify` |',
      '|---|---|---|---|---|---|---|---|',
      ...results.map(
        (r) => `| ${r.n} | ${r.phase} | ${r.archive} | ${r.killedAt} | ${r.lesions} / ${r.rows} | ${r.duplicates} | ${r.embedded} | ${r.verify} |`,
      ),
    ].join('\n');
    const markdown = [
      '## kill -9 trials (`npm run trials:kill`)',
      '',
      machineLine() + '.',
      '',
      `${TRIALS} trials, each on a fresh PostgreSQL database: the CLI import (\`ingest samples\`, batches of 10, embedding each batch) or the CLI \`embed\` ` +
        `is killed with SIGKILL when a random row / embedding count is reached (plus 0–150 ms), run again to the end, then checked. ` +
        `Archives of ${ROWS} lesions: "duplicates" copies 4 real DeepLesion key slices under ${ROWS} names (same box, so identical embeddings); ` +
        `"real + duplicates" is the 51 real sample lesions plus copies of 2 of them. "ended first" means the process finished before its kill moment.`,
      '',
      `**${killed} killed, ${failed} failed; ${lost} lesions lost, ${duplicated} duplicated over all trials.** ` +
        `A trial took ${Math.min(...results.map((r) => r.seconds)).toFixed(0)}–${Math.max(...results.map((r) => r.seconds)).toFixed(0)} s (four or five CLI start-ups on a fresh database; the host was shared).`,
      '',
      table,
    ].join('\n');
    console.log(`\n${markdown}`);
    if (process.env.KILL_WRITE !== '0') writeSection('kill-trials', markdown);
    if (failed) process.exitCode = 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
