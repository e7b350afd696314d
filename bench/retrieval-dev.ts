/**
 * Dev check of the default lesion descriptor on the DeepLesion sample (51 lesions, 10 patients):
 * computes the HU-histogram, scattering (onnxruntime-node on the generated model, batched) and
 * body-position blocks, evaluates cross-patient same-type retrieval per block and combined (with
 * patient-bootstrap intervals and the chance level), and times each stage per patch.
 *
 *   npx ts-node --transpile-only bench/retrieval-dev.ts [--data DIR] [--threads 2] [--batch 32] [--repeat 3] [--rounds 1000]
 *
 * The numbers are tuned on these same lesions (see RECOMMENDED_WEIGHTS), so they are optimistic.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { encode as encodePng } from 'fast-png';
import * as ort from 'onnxruntime-node';
import { bootstrapOverGroups, chanceRetrieval, RetrievalItem, retrievalPerQuery, summariseQueries } from '../src/evaluation/retrieval-metrics';
import { decodeDeepLesionPng, decodeGray8 } from '../src/imaging/decode';
import { Box, DEEPLESION_HU_OFFSET, DEEPLESION_KEYSLICE_WINDOW, HuImage } from '../src/imaging/hu-image';
import { parseCsv } from '../src/deeplesion/csv';
import { buildScatteringModel, DEFAULT_BLOCK_WEIGHTS } from '../src/ml/default-encoder';
import {
  bodyBoundingBox,
  combineBlocks,
  DEFAULT_SCATTERING_INPUT,
  huHistogramBlock,
  positionBumps,
  positionInBody,
  scatteringInputs,
} from '../src/ml/descriptor';

/** Block weights [hist, scat, pos] of the prototype ([h, s, 0.5·p]). */
const PROTOTYPE_WEIGHTS: [number, number, number] = [1, 1, 0.5];
/**
 * Recommended [h, 2·s, 0.5·p] (DEFAULT_BLOCK_WEIGHTS): from a grid over the scattering weight
 * (0.5–3) and position weight (0–1) scored by mAP on these lesions. Nested leave-one-patient-out
 * selection on the same grid (weights chosen without the query's patient) still gave P@1 0.79 /
 * mAP 0.76, and chose a scattering weight of 1.75–3 for every held-out patient.
 */
const RECOMMENDED_WEIGHTS: [number, number, number] = [DEFAULT_BLOCK_WEIGHTS.huHistogram, DEFAULT_BLOCK_WEIGHTS.scattering, DEFAULT_BLOCK_WEIGHTS.bodyPosition];

interface Lesion {
  image: string;
  patient: number;
  type: number;
  box: Box;
}

interface Features {
  hist: Float32Array;
  scat: Float32Array;
  pos: Float32Array;
}

interface StageTimes {
  decode: number;
  hist: number;
  inputs: number;
  scattering: number;
  bodyBox: number;
  combine: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function loadLesions(dir: string): Lesion[] {
  const [header, ...rows] = parseCsv(readFileSync(path.join(dir, 'lesions.csv'), 'utf8'));
  const col = (name: string) => {
    const i = header.fields.indexOf(name);
    if (i < 0) throw new Error(`lesions.csv has no column ${name}`);
    return i;
  };
  const [image, patient, type, x1, y1, x2, y2] = ['image', 'patient_index', 'coarse_type', 'x1', 'y1', 'x2', 'y2'].map(col);
  return rows.map(({ fields: f }) => ({
    image: f[image],
    patient: Number(f[patient]),
    type: Number(f[type]),
    box: { x1: Number(f[x1]), y1: Number(f[y1]), x2: Number(f[x2]), y2: Number(f[y2]) },
  }));
}

async function computeFeatures(dir: string, lesions: Lesion[], session: ort.InferenceSession, model: ReturnType<typeof buildScatteringModel>, batch: number) {
  const times: StageTimes = { decode: 0, hist: 0, inputs: 0, scattering: 0, bodyBox: 0, combine: 0 };
  const clock = <T>(stage: keyof StageTimes, work: () => T): T => {
    const t0 = performance.now();
    const result = work();
    times[stage] += performance.now() - t0;
    return result;
  };
  // Slices are decoded and their body box found once per slice, as a batch job would.
  const slices = new Map<string, { hu: HuImage; body: ReturnType<typeof bodyBoundingBox> }>();
  for (const name of new Set(lesions.map((l) => l.image))) {
    const hu = clock('decode', () => decodeGray8(readFileSync(path.join(dir, 'images', name)), DEEPLESION_KEYSLICE_WINDOW));
    slices.set(name, { hu, body: clock('bodyBox', () => bodyBoundingBox(hu)) });
  }
  const { size, channels } = model.design;
  const plane = size * size;
  const features: Features[] = [];
  for (let start = 0; start < lesions.length; start += batch) {
    const part = lesions.slice(start, start + batch);
    const patches = new Float32Array(part.length * channels * plane);
    const masks = new Float32Array(part.length * plane);
    const partial = part.map((lesion, i) => {
      const { hu, body } = slices.get(lesion.image)!;
      const hist = clock('hist', () => huHistogramBlock(hu, lesion.box));
      const { patch, boxMask } = clock('inputs', () => scatteringInputs(hu, lesion.box, DEFAULT_SCATTERING_INPUT));
      patches.set(patch, i * channels * plane);
      masks.set(boxMask, i * plane);
      const { u, v } = positionInBody(body, lesion.box);
      return { hist, pos: clock('bodyBox', () => positionBumps(u, v)) };
    });
    const t0 = performance.now();
    const result = await session.run({
      [model.inputName]: new ort.Tensor('float32', patches, [part.length, channels, size, size]),
      [model.maskInputName]: new ort.Tensor('float32', masks, [part.length, 1, size, size]),
    });
    times.scattering += performance.now() - t0;
    const output = result[model.outputName].data as Float32Array;
    partial.forEach((p, i) => features.push({ ...p, scat: output.slice(i * model.dim, (i + 1) * model.dim) }));
  }
  clock('combine', () => features.forEach((f) => combined(f, RECOMMENDED_WEIGHTS, model.subBlocks)));
  return { features, times };
}

function combined(f: Features, [wh, ws, wp]: [number, number, number], scatSubBlocks: number[]): Float32Array {
  const blocks = [
    { vector: f.hist, weight: wh, subBlocks: [32, 32] },
    { vector: f.scat, weight: ws, subBlocks: scatSubBlocks },
    { vector: f.pos, weight: wp },
  ].filter((b) => b.weight > 0);
  return combineBlocks(blocks);
}

/** Decode time of 16-bit DeepLesion-style PNGs, made by re-encoding the sample slices (fastest of 3 passes). */
function pngDecodeMs(dir: string, lesions: Lesion[]): number {
  const names = [...new Set(lesions.map((l) => l.image))];
  const pngs = names.map((name) => {
    const hu = decodeGray8(readFileSync(path.join(dir, 'images', name)), DEEPLESION_KEYSLICE_WINDOW);
    const data = Uint16Array.from(hu.data, (v) => Math.round(v) + DEEPLESION_HU_OFFSET);
    return encodePng({ width: hu.width, height: hu.height, data, depth: 16, channels: 1 });
  });
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t0 = performance.now();
    for (const png of pngs) decodeDeepLesionPng(png);
    best = Math.min(best, (performance.now() - t0) / pngs.length);
  }
  return best;
}

function fmt(v: number): string {
  return v.toFixed(3);
}

async function main() {
  const dir = arg('data', path.join(__dirname, '..', '..', 'shared', 'data', 'deeplesion-samples'));
  const threads = Number(arg('threads', '2'));
  const batch = Number(arg('batch', '32'));
  const repeat = Number(arg('repeat', '3'));
  const rounds = Number(arg('rounds', '1000'));

  const tBuild = performance.now();
  const model = buildScatteringModel();
  const buildMs = performance.now() - tBuild;
  const session = await ort.InferenceSession.create(model.bytes, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 });
  const lesions = loadLesions(dir);

  // The first pass warms up; stage times are the fastest of `repeat` passes.
  const first = await computeFeatures(dir, lesions, session, model, batch);
  let features = first.features;
  const times = first.times;
  for (let r = 1; r < repeat; r++) {
    const next = await computeFeatures(dir, lesions, session, model, batch);
    features = next.features;
    for (const k of Object.keys(times) as (keyof StageTimes)[]) times[k] = r === 1 ? next.times[k] : Math.min(times[k], next.times[k]);
  }

  const items = (vector: (f: Features) => Float32Array): RetrievalItem[] =>
    features.map((f, i) => ({ vector: vector(f), label: lesions[i].type, group: lesions[i].patient }));
  const sub = model.subBlocks;
  const rows: [string, RetrievalItem[]][] = [
    ['hist', items((f) => combined(f, [1, 0, 0], sub))],
    [`scat J=${model.design.J} L=${model.design.L}`, items((f) => combined(f, [0, 1, 0], sub))],
    ['pos', items((f) => combined(f, [0, 0, 1], sub))],
    ['hist+scat', items((f) => combined(f, [1, 1, 0], sub))],
    ['hist+scat+0.25pos (prototype)', items((f) => combined(f, PROTOTYPE_WEIGHTS, sub))],
    ['hist+4scat+0.25pos (recommended)', items((f) => combined(f, RECOMMENDED_WEIGHTS, sub))],
  ];

  console.log(
    `${lesions.length} lesions, ${new Set(lesions.map((l) => l.patient)).size} patients; model ${model.bytes.length} bytes built in ${buildMs.toFixed(0)} ms`,
  );
  console.log(`intervals: 95% patient-cluster bootstrap of the per-query results (fixed gallery), ${rounds} rounds, seed 0`);
  console.log(
    `${'descriptor'.padEnd(34)} ${'dim'.padStart(4)} ${'P@1'.padStart(6)} ${'P@5'.padStart(6)} ${'mAP'.padStart(6)} ${'kNN-5'.padStart(6)}   P@1 95% CI      mAP 95% CI`,
  );
  for (const [name, set] of rows) {
    const perQuery = retrievalPerQuery(set);
    const m = summariseQueries(perQuery);
    const p1 = bootstrapOverGroups(perQuery, (s) => summariseQueries(s).precisionAt1, { rounds, seed: 0 });
    const map = bootstrapOverGroups(perQuery, (s) => summariseQueries(s).meanAveragePrecision, { rounds, seed: 0 });
    console.log(
      `${name.padEnd(34)} ${String(set[0].vector.length).padStart(4)} ${fmt(m.precisionAt1).padStart(6)} ${fmt(m.precisionAt5).padStart(6)} ${fmt(m.meanAveragePrecision).padStart(6)} ${fmt(m.knnAccuracy).padStart(6)}   [${fmt(p1.low)}, ${fmt(p1.high)}]  [${fmt(map.low)}, ${fmt(map.high)}]`,
    );
  }
  const chance = chanceRetrieval(rows[0][1], { rounds: 2000, seed: 0 });
  console.log(
    `${'chance'.padEnd(34)} ${'-'.padStart(4)} ${fmt(chance.precisionAt1).padStart(6)} ${fmt(chance.precisionAt5).padStart(6)} ${fmt(chance.meanAveragePrecision).padStart(6)} ${fmt(chance.knnAccuracy).padStart(6)}`,
  );
  console.log(`(${retrievalPerQuery(rows[0][1]).length} answerable queries)`);

  const n = lesions.length;
  const perPatch = (ms: number) => `${(ms / n).toFixed(2)} ms`;
  const total = Object.values(times).reduce((a, b) => a + b, 0);
  console.log(`\ntime per patch (fastest of ${repeat} passes, ORT ${threads} threads, batch ${batch}; per-slice work shared by the slice's lesions):`);
  console.log(`  decode JPEG (jpeg-js)          ${perPatch(times.decode)}`);
  console.log(`  HU histograms                  ${perPatch(times.hist)}`);
  console.log(`  scattering inputs (blur+resample) ${perPatch(times.inputs)}`);
  console.log(`  scattering model (onnxruntime) ${perPatch(times.scattering)}`);
  console.log(`  body box + position bumps      ${perPatch(times.bodyBox)}`);
  console.log(`  combine                        ${perPatch(times.combine)}`);
  // Core-time: ORT used `threads` cores during its share; the rest ran on one core.
  const coreMs = (total - times.scattering + threads * times.scattering) / n;
  console.log(`  total                          ${perPatch(total)} sequential  → ${(((total / n) * 32735) / 60000).toFixed(1)} min for 32,735 patches`);
  console.log(
    `  CPU time                       ${coreMs.toFixed(2)} core-ms → ${(((coreMs / 2) * 32735) / 60000).toFixed(1)} min on 2 cores if preparation overlaps the model (2 workers)`,
  );
  console.log(`  (full DeepLesion ships 16-bit PNGs: decoding this sample re-encoded that way takes ${pngDecodeMs(dir, lesions).toFixed(2)} ms per slice,`);
  console.log(`   a lower bound, as real PNGs hold noisier low bits)`);
  const d = model.design;
  console.log(
    `\nscattering: J=${d.J} L=${d.L} size=${d.size} kernel ${2 * d.radius + 1}x${2 * d.radius + 1}, ${model.dim} outputs, ${(model.macsPerPatch / 1e6).toFixed(1)} M multiply-adds = ${(model.flopsPerPatch / 1e6).toFixed(1)} MFLOP per patch`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
