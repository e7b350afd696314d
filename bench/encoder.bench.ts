/**
 * Encoder throughput on this machine, all stages measured in one run on the same patches:
 *   - bare session.run on prepared tensors (batch 1 and 32),
 *   - decoding + patch preparation alone (in-line, and on worker threads),
 *   - the whole path (files → embeddings, preparation overlapping inference),
 *   - single-patch latency of an uploaded query, FLOPs per patch, and the projection to DeepLesion's 32,735 lesions.
 *
 *   npm run bench:encoder        (BENCH_PATCHES=512 by default)
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '../src/config/app-config';
import { decodeDeepLesionPng } from '../src/imaging/decode';
import { parseCsv } from '../src/deeplesion/csv';
import { parseDeepLesionCsv } from '../src/deeplesion/deeplesion-csv.parser';
import { recordSpacing } from '../src/deeplesion/lesion-record';
import { DetectorModule } from '../src/detection/detector.module';
import { EvaluationModule } from '../src/evaluation/evaluation.module';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { buildDefaultEncoder } from '../src/ml/default-encoder/default-model';
import { EncoderRepository } from '../src/ml/encoder.repository';
import { EncoderService } from '../src/ml/encoder.service';
import { PatchJob } from '../src/ml/patch-job';
import { PatchPreparer } from '../src/ml/patch-preparer';
import { SampleDatasetRepository } from '../src/sample/sample-dataset.repository';
import { settle } from './settle';

const PATCHES = Number(process.env.BENCH_PATCHES ?? 512);
const WORKERS = Number(process.env.ENCODER_PREPARE_WORKERS ?? os.cpus().length);

async function main(): Promise<void> {
  const sampleDir = path.join(os.tmpdir(), 'lesion-retrieval-bench-sample');
  const sample = await new SampleDatasetRepository().ensure(sampleDir);
  const parsed = parseDeepLesionCsv(parseCsv(fs.readFileSync(sample.csvPath, 'utf8')), { layout: 'png16' });
  const records = parsed.rows.flatMap((r) => (r.ok ? [r.record] : []));
  const jobs: PatchJob[] = Array.from({ length: PATCHES }, (_, i) => {
    const r = records[i % records.length];
    return {
      key: i,
      imagePath: path.join(sample.imagesDir, r.imageRelPath),
      neighbourPaths: [null],
      encoding: 'png16',
      huWindow: null,
      box: r.box,
      spacing: recordSpacing(r),
    };
  });
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-models-'));
  const config = loadConfig({
    MODELS_DIR: modelsDir,
    ENCODER_PREPARE_WORKERS: String(WORKERS),
    ENCODER_THREADS: process.env.ENCODER_THREADS ?? '0',
    ENCODER_BATCH_SIZE: '32',
    LOG_LEVEL: 'error',
  });
  const app = await NestFactory.createApplicationContext(EvaluationModule.standalone(config, DetectorModule), { logger: ['error'] });
  const encoder = app.get(EncoderService);
  // The preparation pools and inference threads start with the app: timed before they are up, the first stage
  // measured their start-up too (5 s of CPU under ts-node).
  const settled = await settle();
  console.log(`app threads started: quiet after ${(settled.waitedMs / 1000).toFixed(1)} s${settled.quiet ? '' : ' (not quiet: timing anyway)'}`);
  const repository = app.get(EncoderRepository);
  const loaded = encoder.loaded;
  const rows: string[] = [];
  const rate = (n: number, seconds: number) => `${Math.round(n / seconds)}`;

  // 1. Preparation alone, in-line and on workers (also yields the tensors for the bare runs).
  // Stage measurements use up to 512 patches; the whole path below runs them all.
  const stageJobs = jobs.slice(0, 512);
  const inline = new PatchPreparer(loaded.manifest, 0);
  let t0 = performance.now();
  const prepared = (await inline.prepare(stageJobs)).flatMap((r) => (r.ok ? [r.prepared] : []));
  const inlineSeconds = (performance.now() - t0) / 1000;
  rows.push(`| decode + prepare, main thread | ${stageJobs.length} | ${rate(stageJobs.length, inlineSeconds)} |`);
  const pool = new PatchPreparer(loaded.manifest, WORKERS);
  await pool.prepare(jobs.slice(0, WORKERS * 2)); // start the workers
  t0 = performance.now();
  for (let i = 0; i < stageJobs.length; i += 32) await pool.prepare(stageJobs.slice(i, i + 32));
  const poolSeconds = (performance.now() - t0) / 1000;
  rows.push(`| decode + prepare, ${WORKERS} worker thread(s) | ${stageJobs.length} | ${rate(stageJobs.length, poolSeconds)} |`);
  await pool.close();

  // 2. Bare session.run on prepared tensors.
  const size = loaded.manifest.input.size;
  const plane = size * size;
  const channels = prepared[0].patch.length / plane;
  let bareBatch32 = 0;
  for (const batch of [1, 32]) {
    const patch = new Float32Array(batch * channels * plane);
    const mask = new Float32Array(batch * plane);
    for (let b = 0; b < batch; b++) {
      patch.set(prepared[b % prepared.length].patch, b * channels * plane);
      mask.set(prepared[b % prepared.length].boxMask, b * plane);
    }
    await repository.run(loaded, batch, patch, mask);
    const runs = Math.max(4, Math.ceil(stageJobs.length / batch));
    t0 = performance.now();
    for (let i = 0; i < runs; i++) await repository.run(loaded, batch, patch, mask);
    const seconds = (performance.now() - t0) / 1000;
    if (batch === 32) bareBatch32 = (runs * batch) / seconds;
    rows.push(`| session.run, batch ${batch} | ${runs * batch} | ${rate(runs * batch, seconds)} |`);
  }

  // 3. Whole path: files → embeddings, preparation on workers overlapping inference.
  await encoder.embedJobs(jobs.slice(0, 64), async () => undefined);
  process.stdout.write(`whole path on ${PATCHES} patches… `);
  t0 = performance.now();
  let embedded = 0;
  await encoder.embedJobs(jobs, async (results) => void (embedded += results.filter((r) => r.ok).length));
  const wholeSeconds = (performance.now() - t0) / 1000;
  console.log(`${wholeSeconds.toFixed(1)} s`);
  const wholeRate = embedded / wholeSeconds;
  rows.push(`| whole path (decode → prepare → model → blocks), batch 32 | ${embedded} | ${Math.round(wholeRate)} |`);

  // 4. One uploaded query: decode + prepare + run at batch 1.
  const bytes = fs.readFileSync(jobs[0].imagePath);
  const latencies: number[] = [];
  for (let i = 0; i < 30; i++) {
    t0 = performance.now();
    await encoder.embedImage({ ...decodeDeepLesionPng(bytes), spacing: jobs[0].spacing }, jobs[0].box);
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  await app.close();
  fs.rmSync(modelsDir, { recursive: true, force: true });

  const inlineRate = stageJobs.length / inlineSeconds;
  const prepRate = WORKERS ? stageJobs.length / poolSeconds : inlineRate;
  const slower = Math.min(prepRate, bareBatch32);
  // Each stage alone was measured with every core to itself; run together on the same cores, the
  // best any pipeline can do is one patch per (prepare time + model time).
  const sharedCoresBound = 1 / (1 / prepRate + 1 / bareBatch32);
  const flops = buildDefaultEncoder().flopsPerPatch;
  const table = [
    '## Encoder throughput (`npm run bench:encoder`)',
    '',
    `${machineLine()}; default encoder ${loaded.manifest.name} (model ${loaded.modelId.slice(0, 12)}), onnxruntime-node CPU, ${WORKERS} preparation worker(s), onnxruntime threads ${config.encoder.intraOpThreads || 'default'}; patches cut from the built-in sample's 512×512 16-bit slices (its ${records.length} lesions, repeated).`,
    '',
    '| stage | patches | patches/s |',
    '|---|---|---|',
    ...rows,
    '',
    `Overlap: the whole path runs at **${((wholeRate / Math.min(inlineRate, bareBatch32)) * 100).toFixed(0)} %** of the slower stage on one core each (preparation, ${Math.round(inlineRate)} patches/s on the main thread), and at **${((wholeRate / sharedCoresBound) * 100).toFixed(0)} %** of the bound for both stages sharing these ${os.cpus().length} cores (${Math.round(sharedCoresBound)} patches/s); against the slower stage given every core to itself (${Math.round(slower)} patches/s) it is ${((wholeRate / slower) * 100).toFixed(0)} %, which two cores cannot reach while the model needs them too.`,
    `Uploaded query (decode + prepare + model, batch 1): p50 ${latencies[15].toFixed(1)} ms, p90 ${latencies[27].toFixed(1)} ms.`,
    `Model cost: ${(flops / 1e6).toFixed(1)} MFLOP (multiply-adds) per patch.`,
    PATCHES >= 32735
      ? `Whole path on ${embedded} patches (DeepLesion's scale): ${(wholeSeconds / 60).toFixed(1)} min.`
      : `DeepLesion's 32,735 lesions at the whole-path rate: ${(32735 / wholeRate / 60).toFixed(1)} min (projected; BENCH_PATCHES=32735 measures it).`,
  ].join('\n');
  console.log(table);
  writeSection('encoder', table);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
