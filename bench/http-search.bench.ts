/**
 * HTTP end-to-end latency of POST /api/v1/search/similar by lesion id at DeepLesion's scale: a
 * database with 32,735 lesions (4,427 patients, 10,594 studies) and synthetic embeddings shaped like
 * the default encoder's (the same vectors as `npm run bench:search`), the service started as its own
 * process (`node dist/src/main.js`), autocannon with 32 concurrent clients on random lesion ids. The
 * encoder is not exercised (queries by id reuse stored vectors); the index, filters (same patient
 * excluded) and metadata lookups are. Measured in steady state: after the start-up tag prediction run
 * has finished and every lesion has been asked for once (its metadata cached, as in a service that
 * has been up for a while); the first pass over the archive is reported as the cold row.
 *
 *   npm run bench:http      (needs `npm run build`; PostgreSQL at 127.0.0.1:5432 or BENCH_PG_ADMIN_URL)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { buildDefaultEncoder } from '../src/ml/default-encoder/default-model';
import { embeddingDim } from '../src/ml/encoder-manifest';
import { modelIdentity } from '../src/ml/encoder.repository';
import { Prng } from '../src/sample/prng';
import { ADMIN_URL, admin, databaseUrl } from './bench-database';
import { encoderSpectrum } from './embedding-spectrum';
import { generateEncoderShapedVectors } from './search-vectors';
import {
  CONNECTIONS,
  coldPass,
  cpuPerRequest,
  cpuSnapshot,
  createKey,
  floorLoad,
  LESIONS,
  median,
  RunningService,
  similarLoad,
  startService,
  waitForTagPrediction,
} from './http-load';

const PATIENTS = 4427;
const STUDIES = 10594;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const PORT = 3917;

/** Archive rows in bulk with generate_series, then clustered unit vectors in chunks. */
async function populate(url: string, modelId: string, dim: number, manifest: object): Promise<void> {
  const dataSource = await new DataSource(dataSourceOptions(url, true)).initialize();
  await dataSource.query(
    `INSERT INTO patient (dataset, patient_index, sex) SELECT 'bench', g, CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END FROM generate_series(1, $1) g`,
    [PATIENTS],
  );
  await dataSource.query(
    `INSERT INTO study (patient_id, study_index, age_years)
       SELECT p.id, row_number() OVER (PARTITION BY p.id ORDER BY g), 20 + (g % 70)
         FROM generate_series(0, $1 - 1) g JOIN patient p ON p.patient_index = (g * $2 / $1) + 1`,
    [STUDIES, PATIENTS],
  );
  await dataSource.query(
    `INSERT INTO series (study_id, series_index, spacing_x_mm, spacing_y_mm, spacing_z_mm, image_width, image_height) SELECT id, 1, 0.7, 0.7, 5, 512, 512 FROM study`,
  );
  await dataSource.query(
    `INSERT INTO lesion (series_id, study_id, patient_id, key_slice_index, lesion_in_image, box_x1, box_y1, box_x2, box_y2, long_axis_mm,
                         location_x, location_y, location_z, coarse_type, split, source_file_name, image_path, image_encoding)
       SELECT se.id, st.id, st.patient_id, 10, g, 100, 100, 140, 130, 10 + (g % 40), 0.5, 0.5, (g % 100) / 100.0, 1 + (g % 8), 1 + (g % 3),
              'bench.png', '/nonexistent/bench.png', 'png16'
         FROM generate_series(0, $1 - 1) g
         JOIN study st ON st.id = (SELECT min(id) FROM study) + (g * $2 / $1)
         JOIN series se ON se.study_id = st.id`,
    [LESIONS, STUDIES],
  );
  await dataSource.query(`INSERT INTO encoder_model (id, name, dim, manifest) VALUES ($1, 'default-scattering', $2, $3)`, [
    modelId,
    dim,
    JSON.stringify(manifest),
  ]);
  const ids: { id: number }[] = await dataSource.query('SELECT id FROM lesion ORDER BY id');
  // Clustered like the default encoder's embeddings of real CT (bench/embedding-spectrum.ts).
  const set = generateEncoderShapedVectors(ids.length, 0, encoderSpectrum(console.log), 551 + ids.length);
  if (dim !== 551) throw new Error(`the encoder-shaped vectors are 551-d; this encoder has ${dim}`);
  for (let i = 0; i < ids.length; i += 2000) {
    const chunk = ids.slice(i, i + 2000);
    const vectors = chunk.map((_, j) => Buffer.from(set.base.slice((i + j) * dim, (i + j + 1) * dim).buffer));
    await dataSource.query(`INSERT INTO lesion_embedding (lesion_id, model_id, vector) SELECT * FROM unnest($1::int[], $2::text[], $3::bytea[])`, [
      chunk.map((c) => c.id),
      chunk.map(() => modelId),
      vectors,
    ]);
  }
  await dataSource.destroy();
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.resolve(__dirname, '../dist/src/main.js')) && !fs.existsSync(path.resolve(__dirname, '../src/main.js'))) {
    throw new Error('build first: npm run build');
  }
  // BENCH_DB=name reuses a database an earlier run kept (BENCH_KEEP_DB=1): no reload.
  const reuse = process.env.BENCH_DB;
  const db = reuse ?? `bench_http_${process.pid}`;
  if (!reuse) await admin(`CREATE DATABASE ${db}`);
  const url = databaseUrl(db);
  // A kept database keeps its index snapshot too, so a rerun starts without rebuilding the graph.
  const keep = Boolean(process.env.BENCH_KEEP_DB || reuse);
  const work = keep ? path.join(os.tmpdir(), `bench-http-${db}`) : fs.mkdtempSync(path.join(os.tmpdir(), 'bench-http-'));
  fs.mkdirSync(work, { recursive: true });
  let service: RunningService | null = null;
  try {
    const { manifest, bytes } = buildDefaultEncoder();
    const modelId = modelIdentity(bytes, manifest);
    if (!reuse) {
      process.stdout.write(`populating ${LESIONS} lesions… `);
      await populate(url, modelId, embeddingDim(manifest), manifest);
      console.log('done');
    }
    const key = await createKey(url, 'reader');
    const adminKey = await createKey(url, 'admin');
    const root = path.resolve(__dirname, '..').replace(`${path.sep}dist`, '');
    // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server.
    const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    service = await startService(root, url, PORT, work, nodeArgs);
    const server = service.process;
    const startSeconds = service.startSeconds;
    const predictionSeconds = await waitForTagPrediction(PORT, adminKey);
    console.log(`tag prediction finished after ${predictionSeconds.toFixed(0)} s`);
    const rng = new Prng(11);
    const similar = (connections: number) => similarLoad(PORT, key, LESIONS, connections, SECONDS, rng);
    const floor = (connections: number) => floorLoad(PORT, key, connections, SECONDS);
    type Row = { name: string; connections: number; result: autocannon.Result; cpu: number[] | null };
    const cpuCells = (cpu: number[] | null) => (cpu ? cpu.map((x) => x.toFixed(2)).join(' | ') : '– | – | – | – | –');
    const rows: Row[] = [];
    const coldBefore = cpuSnapshot(server.pid!);
    const cold = await coldPass(PORT, key, LESIONS, CONNECTIONS);
    rows.push({
      name: 'similar by id, first request for each lesion (cold)',
      connections: CONNECTIONS,
      result: cold,
      cpu: cpuPerRequest(coldBefore, cpuSnapshot(server.pid!), server.pid!, cold.requests.total),
    });
    console.log(`cold pass: ${Math.round(cold.requests.average)} req/s, p50 ${cold.latency.p50} ms`);
    const measure = async (name: string, connections: number, run: (c: number) => Promise<autocannon.Result>) => {
      const before = cpuSnapshot(server.pid!);
      const result = await run(connections);
      const cpu = cpuPerRequest(before, cpuSnapshot(server.pid!), server.pid!, result.requests.total);
      rows.push({ name, connections, result, cpu });
      console.log(
        `${name}, ${connections} clients: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms; CPU ms/request ${cpuCells(cpu)}`,
      );
    };
    await measure('similar by id', 1, similar);
    // Repeated and interleaved with the floor: this machine's speed drifts between minutes.
    for (let r = 0; r < REPEATS; r++) {
      await measure('similar by id', CONNECTIONS, similar);
      await measure('GET /me (floor)', CONNECTIONS, floor);
    }
    const cell = (row: Row) =>
      `| ${row.name} | ${row.connections} | ${Math.round(row.result.requests.average)} | ${row.result.latency.p50} | ${row.result.latency.p99} | ${row.result.non2xx + row.result.errors} | ${cpuCells(row.cpu)} |`;
    const ofFloor = rows
      .filter((r) => r.name === 'similar by id' && r.connections === CONNECTIONS)
      .map((r, i) => r.result.requests.average / rows.filter((f) => f.name.startsWith('GET'))[i].result.requests.average);
    const similarRates = rows.filter((r) => r.name === 'similar by id' && r.connections === CONNECTIONS).map((r) => r.result.requests.average);
    const similarP50 = rows.filter((r) => r.name === 'similar by id' && r.connections === CONNECTIONS).map((r) => r.result.latency.p50);
    // What the CPU allows: all cores busy at the measured CPU per request (server, autocannon and PostgreSQL together).
    const cpuTotals = rows
      .filter((r) => r.name === 'similar by id' && r.connections === CONNECTIONS && r.cpu)
      .map((r) => r.cpu!.reduce((x, y) => x + Math.max(0, y), 0));
    const ceiling = cpuTotals.length ? (os.cpus().length * 1000) / median(cpuTotals) : NaN;
    const table = [
      '## HTTP similar-lesion search by id (`npm run bench:http`)',
      '',
      `${machineLine()}; PostgreSQL at ${new URL(ADMIN_URL).host}; ${LESIONS} lesions with synthetic ${embeddingDim(manifest)}-d embeddings shaped like the default encoder's (as in \`npm run bench:search\`); HNSW ef ${process.env.HNSW_EF_SEARCH ?? 'default (20)'}; service in its own process (start-up with index build from the database: ${startSeconds.toFixed(1)} s; then the tag prediction run: ${predictionSeconds.toFixed(0)} s); autocannon in the benchmark's process on the same 2 cores, ${SECONDS} s per row, random lesion ids, k = 10, same patient excluded. The 32-client rows alternate with the floor (\`GET /api/v1/me\`, the cheapest authenticated route through the same stack), ${REPEATS} times.`,
      '',
      `CPU columns: milliseconds of CPU per request, read from /proc over the row: the service's main thread (HTTP, validation, JSON), its busiest other thread (the HNSW worker), its remaining threads (GC, libuv), autocannon (this process), PostgreSQL. The machine has ${os.cpus().length} cores: ${os.cpus().length * 1000} ms of CPU per second in all.`,
      '',
      '| route | concurrent clients | requests/s | p50 ms | p99 ms | errors | CPU main | CPU index worker | CPU other threads | CPU autocannon | CPU PostgreSQL |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows.map(cell),
      '',
      `At ${CONNECTIONS} clients: median ${Math.round(median(similarRates))} requests/s (range ${Math.round(Math.min(...similarRates))}–${Math.round(Math.max(...similarRates))}), median p50 ${median(similarP50)} ms; similar search runs at ${ofFloor.map((x) => `${Math.round(x * 100)} %`).join(' / ')} of the floor measured beside it.`,
      ...(cpuTotals.length
        ? [
            '',
            `CPU per similar request, all processes together: median ${median(cpuTotals).toFixed(2)} ms, so ${os.cpus().length} cores allow at most ~${Math.round(ceiling)} requests/s; with ${CONNECTIONS} clients always waiting, the mean latency is ${CONNECTIONS} / throughput (Little's law), ≥ ${((CONNECTIONS / ceiling) * 1000).toFixed(0)} ms here.`,
          ]
        : []),
    ].join('\n');
    console.log(table);
    writeSection('http-search', table);
  } finally {
    service?.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    if (process.env.BENCH_KEEP_DB || reuse) console.log(`kept database ${db}`);
    else await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    if (!keep) fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
