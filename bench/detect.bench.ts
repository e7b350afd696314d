import { ALL_DATASETS } from '../src/common/dataset-scope';
/**
 * Detection throughput on this machine, measured in one run on the same slices (the built-in
 * sample's 512×512 16-bit key slices):
 *   - the bare onnxruntime call of the detector model on a prepared input,
 *   - detection alone (decode → body outline → model → candidates → boxes),
 *   - detection with per-box similar lesions (top 5 through the SIMILAR_LESIONS port) and tags (the tag port),
 *   - point-to-box latency (without and with similar lesions).
 *
 *   npm run bench:detect     (PostgreSQL at 127.0.0.1:5432 or BENCH_PG_ADMIN_URL; BENCH_SLICES=40)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config/app-config';
import { DetectDto, toDetectRequest } from '../src/detection/detection.dto';
import { DetectionService } from '../src/detection/detection.service';
import { DetectorService } from '../src/detection/detector.service';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { readRecords } from '../src/deeplesion/read-records';
import { decodeSlice } from '../src/imaging/decode-slice';
import { SampleService } from '../src/sample/sample.service';
import { FromPointDto, toPointRequest } from '../src/uploads/slice-request.dto';
import { admin, databaseUrl } from './bench-database';

const SLICES = Number(process.env.BENCH_SLICES ?? 40);

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

async function main(): Promise<void> {
  const load = os.loadavg()[0];
  const database = `bench_detect_${process.pid}`;
  await admin(`CREATE DATABASE ${database}`);
  const url = databaseUrl(database);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-detect-'));
  const config = loadConfig({
    DATABASE_URL: url,
    SAMPLE_AUTOLOAD: 'false',
    SAMPLE_DIR: path.join(os.tmpdir(), 'lesion-retrieval-bench-sample'),
    MODELS_DIR: path.join(scratch, 'models'),
    INDEX_DIR: path.join(scratch, 'index'),
    LOG_LEVEL: 'error',
  });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, url), { logger: ['error'] });
  try {
    await app.get(SampleService).ensureIngested();
    const detector = app.get(DetectorService);
    const detection = app.get(DetectionService);
    const records = readRecords('deeplesion', path.join(config.sample.dir, 'DL_info.csv'));
    const picked = Array.from({ length: SLICES }, (_, i) => records[i % records.length]);
    const files = picked.map((r) => fs.readFileSync(path.join(config.sample.dir, 'Images_png', r.imageRelPath)));
    const rows: string[] = [];
    const rate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(2);

    // 1. Bare onnxruntime call on the same prepared input, repeated.
    const prepared = detector.prepare({ image: decodeSlice(files[0]).image });
    for (let i = 0; i < 3; i++) await detector.runModel(prepared);
    let t0 = performance.now();
    for (let i = 0; i < SLICES; i++) await detector.runModel(prepared);
    const bareMs = performance.now() - t0;
    rows.push(`| onnxruntime session.run alone (prepared input) | ${SLICES} | ${rate(SLICES, bareMs)} | ${(bareMs / SLICES).toFixed(0)} ms |`);

    // 2. Detection alone, from the uploaded bytes.
    const upload = (i: number) => ({ file: [{ buffer: files[i] }] });
    const dto = (fields: Partial<DetectDto>) => toDetectRequest(Object.assign(new DetectDto(), fields));
    await detection.detect(dto({}), upload(0), ALL_DATASETS);
    let boxes = 0;
    const stages = { prepare: 0, model: 0, decode: 0 };
    t0 = performance.now();
    for (let i = 0; i < SLICES; i++) {
      const r = await detection.detect(dto({}), upload(i), ALL_DATASETS);
      boxes += r.detections.length;
      stages.prepare += r.timingsMs.prepare;
      stages.model += r.timingsMs.model;
      stages.decode += r.timingsMs.decode;
    }
    const aloneMs = performance.now() - t0;
    rows.push(`| detection (decode, outline, model, candidates, boxes) | ${SLICES} | ${rate(SLICES, aloneMs)} | ${(aloneMs / SLICES).toFixed(0)} ms |`);

    // 3. With similar lesions and tags per box.
    let enrichedBoxes = 0;
    t0 = performance.now();
    for (let i = 0; i < SLICES; i++)
      enrichedBoxes += (await detection.detect(dto({ include: ['similar', 'tags'], k: 5 }), upload(i), ALL_DATASETS)).detections.length;
    const enrichedMs = performance.now() - t0;
    rows.push(
      `| detection + similar lesions (top 5) + tags for every box | ${SLICES} | ${rate(SLICES, enrichedMs)} | ${(enrichedMs / SLICES).toFixed(0)} ms |`,
    );

    // 4. Point to box from each lesion's centre.
    const point = (i: number, include: ('similar' | 'tags')[]) => {
      const b = picked[i].box;
      return toPointRequest(Object.assign(new FromPointDto(), { x: (b.x1 + b.x2) / 2, y: (b.y1 + b.y2) / 2, include, k: 5 }));
    };
    const latencies: Record<string, number[]> = { bare: [], full: [] };
    for (const [kind, include] of [
      ['bare', []],
      ['full', ['similar', 'tags']],
    ] as const) {
      for (let i = 0; i < 3; i++) await detection.fromPoint(point(i, [...include]), upload(i), ALL_DATASETS);
      for (let i = 0; i < SLICES; i++) {
        t0 = performance.now();
        await detection.fromPoint(point(i, [...include]), upload(i), ALL_DATASETS);
        latencies[kind].push(performance.now() - t0);
      }
    }
    const loaded = detector.loaded;
    const table = [
      '## Detection throughput (`npm run bench:detect`)',
      '',
      `${machineLine()}; detector ${loaded.manifest.name} (model ${loaded.modelId.slice(0, 12)}), onnxruntime-node CPU, ${config.detector.intraOpThreads || 'default'} intra-op thread(s); ${SLICES} key slices (512×512, 16-bit) of the built-in sample, one request at a time in one process; 1-minute load average ${load.toFixed(1)} at the start (other processes shared the cores).`,
      '',
      '| path | slices | slices/s | per slice |',
      '|---|---|---|---|',
      ...rows,
      '',
      `Detection alone spends per slice ${(stages.prepare / SLICES).toFixed(0)} ms preparing (windows, body outline), ${(stages.model / SLICES).toFixed(0)} ms in the model and ${(stages.decode / SLICES).toFixed(0)} ms on candidates and boxes (the rest is decoding the upload); the bare model call is ${((bareMs / aloneMs) * 100).toFixed(0)} % of the whole. It keeps ${(boxes / SLICES).toFixed(1)} boxes per slice at the manifest's score threshold; with similar lesions ${(enrichedBoxes / SLICES).toFixed(1)} boxes each cost an encoder run and an index search. Tags: each box's embedding is voted on by its labelled neighbours (the tag-prediction service, through the detection port), included in that row.`,
      `Point to box (decode, body outline, fit): p50 ${percentile(latencies.bare, 0.5).toFixed(0)} ms, p90 ${percentile(latencies.bare, 0.9).toFixed(0)} ms; with similar lesions and tags: p50 ${percentile(latencies.full, 0.5).toFixed(0)} ms, p90 ${percentile(latencies.full, 0.9).toFixed(0)} ms.`,
    ].join('\n');
    console.log(table);
    writeSection('detect', table);
  } finally {
    await app.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
