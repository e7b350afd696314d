/**
 * What the default encoder's embeddings look like, so the search benchmark's synthetic vectors can be
 * shaped like them: the default encoder is run on the real CT slices in ../shared (DeepLesion key
 * slices with their lesion boxes, plus random boxes on those slices and on the unlabelled slices),
 * and the script writes the mean vector and the principal axes with their variances to a JSON file
 * that `bench/search-vectors.ts` reads (BENCH_SPECTRUM).
 *
 *   npm run bench:spectrum     (BENCH_SPECTRUM_BOXES=40 random boxes per slice; output bench/.cache/embedding-spectrum.json)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '../src/config/app-config';
import { DetectorModule } from '../src/detection/detector.module';
import { EvaluationModule } from '../src/evaluation/evaluation.module';
import { DEEPLESION_KEYSLICE_WINDOW } from '../src/imaging/hu-image';
import { EncoderService } from '../src/ml/encoder.service';
import { PatchJob } from '../src/ml/patch-job';
import { Rng, SpectrumShape } from './search-vectors';
import { symmetricEigen } from '../src/ml/projection/symmetric-eigen';

const SHARED = path.resolve(__dirname, '../../shared/data');
const BOXES_PER_SLICE = Number(process.env.BENCH_SPECTRUM_BOXES ?? 40);
export const SPECTRUM_FILE = path.resolve(__dirname, '.cache/embedding-spectrum.json');

export interface EmbeddingSpectrum {
  dim: number;
  samples: number;
  lesions: number;
  mean: number[];
  /** Principal axes (rows, unit length), largest variance first, and their variances. */
  axes: number[][];
  variances: number[];
  /** Mean cosine between random pairs of samples. */
  meanPairCosine: number;
}

function jobsFor(rng: Rng): { jobs: PatchJob[]; lesions: number } {
  const samples = path.join(SHARED, 'deeplesion-samples');
  const unlabelled = path.join(SHARED, 'ct-slices-unlabeled');
  if (!fs.existsSync(samples)) throw new Error(`${samples} is missing: this benchmark needs ../shared/data`);
  const jobs: PatchJob[] = [];
  const add = (imagePath: string, box: PatchJob['box']) =>
    jobs.push({
      key: jobs.length,
      imagePath,
      neighbourPaths: [null],
      encoding: 'gray8',
      huWindow: DEEPLESION_KEYSLICE_WINDOW,
      box,
      spacing: { x: 0.8, y: 0.8 },
    });
  const lines = fs.readFileSync(path.join(samples, 'lesions.csv'), 'utf8').trim().split('\n').slice(1);
  for (const line of lines) {
    const cells = line.split(',');
    const [x1, y1, x2, y2] = cells.slice(8, 12).map(Number);
    add(path.join(samples, 'images', cells[0]), { x1, y1, x2, y2 });
  }
  const lesions = jobs.length;
  const slices = [
    ...new Set(lines.map((l) => path.join(samples, 'images', l.split(',')[0]))),
    ...fs
      .readdirSync(unlabelled)
      .filter((f) => f.endsWith('.png'))
      .map((f) => path.join(unlabelled, f)),
  ];
  for (const slice of slices) {
    for (let b = 0; b < BOXES_PER_SLICE; b++) {
      const side = 10 + rng.next() * 80;
      const cx = 96 + rng.next() * 320;
      const cy = 96 + rng.next() * 320;
      const aspect = 0.6 + rng.next() * 0.8;
      add(slice, { x1: cx - side / 2, y1: cy - (side * aspect) / 2, x2: cx + side / 2, y2: cy + (side * aspect) / 2 });
    }
  }
  return { jobs, lesions };
}

async function main(): Promise<void> {
  const rng = new Rng(2024);
  const { jobs, lesions } = jobsFor(rng);
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-spectrum-models-'));
  const config = loadConfig({ MODELS_DIR: modelsDir, ENCODER_BATCH_SIZE: '32', LOG_LEVEL: 'error' });
  const app = await NestFactory.createApplicationContext(EvaluationModule.standalone(config, DetectorModule), { logger: ['error'] });
  const encoder = app.get(EncoderService);
  const vectors: Float32Array[] = [];
  let done = 0;
  await encoder.embedJobs(jobs, async (results) => {
    for (const r of results) if (r.ok) vectors.push(r.vector);
    done += results.length;
    process.stdout.write(`\rembedded ${done}/${jobs.length}`);
  });
  process.stdout.write('\n');
  await app.close();
  fs.rmSync(modelsDir, { recursive: true, force: true });

  const dim = vectors[0].length;
  const n = vectors.length;
  // Unit length first: the index compares normalised vectors (inner product).
  const unit = vectors.map((v) => {
    const norm = Math.hypot(...v);
    return Float64Array.from(v, (x) => x / norm);
  });
  const mean = new Float64Array(dim);
  for (const v of unit) for (let j = 0; j < dim; j++) mean[j] += v[j] / n;
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (const v of unit) {
    for (let j = 0; j < dim; j++) centred[j] = v[j] - mean[j];
    for (let a = 0; a < dim; a++) {
      const ca = centred[a] / (n - 1);
      if (ca === 0) continue;
      const row = a * dim;
      for (let b = a; b < dim; b++) covariance[row + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) covariance[a * dim + b] = covariance[b * dim + a];
  const eigen = symmetricEigen(covariance, dim);
  const values = Array.from(eigen.values);
  // The eigenvectors are the columns of eigen.vectors (row-major): one axis per column.
  const axes = Array.from({ length: dim }, (_, k) => Float64Array.from({ length: dim }, (_, i) => eigen.vectors[i * dim + k]));
  let pairs = 0;
  let pairCosine = 0;
  for (let i = 0; i < 20000; i++) {
    const a = unit[rng.int(n)];
    const b = unit[rng.int(n)];
    if (a === b) continue;
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += a[j] * b[j];
    pairCosine += dot;
    pairs++;
  }
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  const explained = (k: number) => values.slice(0, k).reduce((s, v) => s + Math.max(0, v), 0) / total;
  const dimsFor = (share: number) => values.findIndex((_, i) => explained(i + 1) >= share) + 1;
  const participation = total ** 2 / values.reduce((s, v) => s + Math.max(0, v) ** 2, 0);
  const spectrum: EmbeddingSpectrum = {
    dim,
    samples: n,
    lesions,
    mean: Array.from(mean),
    axes: axes.map((a) => Array.from(a)),
    variances: values.map((v) => Math.max(0, v)),
    meanPairCosine: pairCosine / pairs,
  };
  fs.mkdirSync(path.dirname(SPECTRUM_FILE), { recursive: true });
  fs.writeFileSync(SPECTRUM_FILE, JSON.stringify(spectrum));
  console.log(
    `${n} embeddings (${lesions} real lesions, ${n - lesions} random boxes on the real slices), ${dim}-d; ` +
      `|mean|² = ${mean.reduce((s, x) => s + x * x, 0).toFixed(3)} of 1; mean pair cosine ${spectrum.meanPairCosine.toFixed(3)}; ` +
      `variance in 10/32/64/128 axes: ${[10, 32, 64, 128].map((k) => (explained(k) * 100).toFixed(1) + '%').join(' / ')}; ` +
      `axes for 90/95/99 %: ${dimsFor(0.9)} / ${dimsFor(0.95)} / ${dimsFor(0.99)}; participation ratio ${participation.toFixed(1)}`,
  );
  console.log(`written ${path.relative(process.cwd(), SPECTRUM_FILE)}`);
}

/**
 * The real embeddings' mean and principal axes (bench/.cache), measured first when they have not
 * been; the search benchmarks draw their synthetic vectors along them.
 */
export function encoderSpectrum(log: (line: string) => void): SpectrumShape & { samples: number; lesions: number } {
  if (!fs.existsSync(SPECTRUM_FILE)) {
    log('measuring the default encoder on the real CT slices in ../shared (bench/embedding-spectrum.ts)');
    const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename], { stdio: 'inherit' });
    if (run.status !== 0) throw new Error('bench/embedding-spectrum.ts failed (it needs ../shared)');
  }
  return JSON.parse(fs.readFileSync(SPECTRUM_FILE, 'utf8'));
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
