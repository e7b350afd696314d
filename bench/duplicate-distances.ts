/**
 * The numbers behind DUPLICATE_DISTANCE (src/vector-index/alias-groups.ts): how far apart the default
 * encoder puts two encodings of the same patch (batch of 32 against batch of 1), how close it puts two
 * different real patches, and the float32 noise of hnswlib's cosine distance of a vector to itself.
 *
 *   npx ts-node --transpile-only bench/duplicate-distances.ts     (writes a section of docs/BENCHMARKS.md)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { HierarchicalNSW } from 'hnswlib-node';
import { loadConfig } from '../src/config/app-config';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { DetectorModule } from '../src/detection/detector.module';
import { EvaluationModule } from '../src/evaluation/evaluation.module';
import { DEEPLESION_KEYSLICE_WINDOW } from '../src/imaging/hu-image';
import { EncoderService } from '../src/ml/encoder.service';
import { PatchJob } from '../src/ml/patch-job';
import { DUPLICATE_DISTANCE } from '../src/vector-index/alias-groups';
import { cosine } from '../src/vector-index/exact-search';

const SHARED = path.resolve(__dirname, '../../shared/data');

/** The 51 real lesions with their boxes, and a central box on each of the 100 unlabelled slices. */
function jobs(): PatchJob[] {
  const samples = path.join(SHARED, 'deeplesion-samples');
  const unlabelled = path.join(SHARED, 'ct-slices-unlabeled');
  if (!fs.existsSync(samples)) throw new Error(`${samples} is missing: this benchmark needs ../shared/data`);
  const out: PatchJob[] = [];
  const add = (imagePath: string, box: PatchJob['box']) =>
    out.push({
      key: out.length,
      imagePath,
      neighbourPaths: [null],
      encoding: 'gray8',
      huWindow: DEEPLESION_KEYSLICE_WINDOW,
      box,
      spacing: { x: 0.8, y: 0.8 },
    });
  for (const line of fs.readFileSync(path.join(samples, 'lesions.csv'), 'utf8').trim().split('\n').slice(1)) {
    const cells = line.split(',');
    const [x1, y1, x2, y2] = cells.slice(8, 12).map(Number);
    add(path.join(samples, 'images', cells[0]), { x1, y1, x2, y2 });
  }
  for (const file of fs.readdirSync(unlabelled).filter((f) => f.endsWith('.png'))) add(path.join(unlabelled, file), { x1: 220, y1: 220, x2: 290, y2: 290 });
  return out;
}

async function embed(patches: PatchJob[], batchSize: number, modelsDir: string): Promise<Float32Array[]> {
  const config = loadConfig({ MODELS_DIR: modelsDir, ENCODER_BATCH_SIZE: String(batchSize), LOG_LEVEL: 'error' });
  const app = await NestFactory.createApplicationContext(EvaluationModule.standalone(config, DetectorModule), { logger: ['error'] });
  const vectors: Float32Array[] = new Array(patches.length);
  try {
    await app.get(EncoderService).embedJobs(patches, async (results) => {
      for (const r of results) if (r.ok) vectors[r.key as number] = r.vector;
    });
  } finally {
    await app.close();
  }
  return vectors;
}

async function main(): Promise<void> {
  const patches = jobs();
  const modelsDir = process.env.MODELS_DIR ?? path.join(os.tmpdir(), 'lesion-retrieval-test-models');
  const batched = await embed(patches, 32, modelsDir);
  const single = await embed(patches, 1, modelsDir);
  const ok = patches.map((_, i) => i).filter((i) => batched[i] && single[i]);

  let reEncoded = 0;
  for (const i of ok) reEncoded = Math.max(reEncoded, 1 - cosine(batched[i], single[i]));
  let closest = Infinity;
  let identicalPairs = 0;
  for (let a = 0; a < ok.length; a++) {
    for (let b = a + 1; b < ok.length; b++) {
      const distance = 1 - cosine(batched[ok[a]], batched[ok[b]]);
      if (distance <= DUPLICATE_DISTANCE) identicalPairs++;
      else closest = Math.min(closest, distance);
    }
  }
  // hnswlib's own (float32) distance of each vector to itself.
  const dim = batched[ok[0]].length;
  const graph = new HierarchicalNSW('cosine', dim);
  graph.initIndex({ maxElements: ok.length, m: 16, efConstruction: 200, randomSeed: 100 });
  ok.forEach((i) => graph.addPoint(Array.from(batched[i]), i));
  let selfNoise = 0;
  let storedNoise = 0;
  for (const i of ok) {
    selfNoise = Math.max(selfNoise, Math.abs(graph.searchKnn(Array.from(batched[i]), 1).distances[0]));
    storedNoise = Math.max(storedNoise, Math.abs(1 - cosine(batched[i], graph.getPoint(i))));
  }

  const e = (x: number) => x.toExponential(1);
  const markdown = [
    '## Duplicate embeddings (`npx ts-node --transpile-only bench/duplicate-distances.ts`)',
    '',
    machineLine() + '.',
    '',
    `Default encoder (${dim}-d) on ${ok.length} real patches: the 51 DeepLesion sample lesions and a central 70-px box on each of the 100 unlabelled slices. ` +
      `Identical embeddings share one graph point when their cosine distance is at most ${e(DUPLICATE_DISTANCE)} (\`src/vector-index/alias-groups.ts\`).`,
    '',
    '| what | cosine distance |',
    '|---|---|',
    `| same patch, encoded in a batch of 32 and alone (largest) | ${e(reEncoded)} |`,
    `| a vector to itself as hnswlib computes it (float32, largest magnitude) | ${e(selfNoise)} |`,
    `| a vector to its stored point in float64, as the index decides (largest magnitude) | ${e(storedNoise)} |`,
    `| threshold (DUPLICATE_DISTANCE) | ${e(DUPLICATE_DISTANCE)} |`,
    `| two different patches (smallest of ${(ok.length * (ok.length - 1)) / 2} pairs; ${identicalPairs} pairs within the threshold) | ${e(closest)} |`,
  ].join('\n');
  console.log(markdown);
  if (process.env.BENCH_WRITE !== '0') writeSection('duplicate-distances', markdown);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
