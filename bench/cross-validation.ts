/**
 * Honest numbers for the constants chosen on the 51 real sample lesions: two-fold cross-validation over
 * PATIENTS. The patients are split in two halves (seeded); the constants are re-chosen on one half by the
 * same kind of search that chose them (a small grid, best training score), reported on the other half, and
 * the reverse; then the same for a few more random splits. Beside them the in-sample (optimistic) figures.
 *
 *  retrieval — block weights of the default encoder's descriptor [histogram 1, scattering ws, position wp],
 *              ws ∈ {0.5 … 3}, wp ∈ {0 … 1} (the grid of bench/retrieval-dev.ts), chosen by cross-patient mAP
 *              among the training patients' lesions; held-out queries search every other patient's lesions.
 *  detection — the default detector's score constants (smallest lesion scale, enhancement and fat/gas HU,
 *              asymmetry scale) and the refined box margin, chosen by the mean FROC sensitivity (IoU ≥ 0.5) at
 *              1, 2 and 4 false positives per image on the training patients' slices; reported on the others'.
 *
 * The model stages (scattering network, difference-of-Gaussians scale space) run once per lesion / slice;
 * every grid point reuses them, so the grid costs seconds.
 *
 *   npx ts-node --transpile-only bench/cross-validation.ts [--csv FILE --images DIR] [--only retrieval|detection] [--splits 10] [--write]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { bodyMasks } from '../src/detection-core/body-mask';
import {
  blobCandidates,
  BlobCandidate,
  candidateScore,
  DEFAULT_SCORE_CONSTANTS,
  refineBox,
  REFINED_BOX_MARGIN_PX,
  ScoreConstants,
} from '../src/detection-core/blob-candidates';
import { gaussianBlur } from '../src/detection-core/body-mask';
import { intersectionOverUnion } from '../src/detection-core/box-math';
import { fitSlice, planFit } from '../src/detection-core/fit-slice';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { CsvFormat, readRecords } from '../src/deeplesion/read-records';
import { FrocImage, frocLesionHits } from '../src/evaluation/froc';
import { argmaxFirst, twoPatientFolds } from '../src/evaluation/patient-folds';
import { QueryResult, retrievalPerQuery, RetrievalItem, summariseQueries } from '../src/evaluation/retrieval-metrics';
import { decodeSlice } from '../src/imaging/decode-slice';
import { Box, HuImage } from '../src/imaging/hu-image';
import { LesionRecord, recordSpacing } from '../src/deeplesion/lesion-record';
import { buildDefaultDetector } from '../src/ml/default-detector';
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

const COARSE_TYPES: Record<number, string> = { 1: 'bone', 2: 'abdomen', 3: 'mediastinum', 4: 'liver', 5: 'lung', 6: 'kidney', 7: 'soft tissue', 8: 'pelvis' };
const MAIN_SEED = 1;
const REPORT_RATES = [1, 2, 4];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const f3 = (v: number) => v.toFixed(3);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const mdRow = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

interface Slice {
  rel: string;
  image: HuImage;
  lesions: LesionRecord[];
}

function loadSlices(format: CsvFormat, csvPath: string, imagesDir: string): Slice[] {
  const byImage = new Map<string, LesionRecord[]>();
  for (const r of readRecords(format, csvPath)) byImage.set(r.imageRelPath, [...(byImage.get(r.imageRelPath) ?? []), r]);
  return [...byImage].map(([rel, lesions]) => ({
    rel,
    lesions,
    image: decodeSlice(fs.readFileSync(path.join(imagesDir, rel)), {
      encoding: lesions[0].imageEncoding,
      window: lesions[0].imageWindow ?? undefined,
      spacing: recordSpacing(lesions[0]),
    }).image,
  }));
}

// ---------------------------------------------------------------- retrieval

type Weights = [number, number, number];
const SCATTERING_WEIGHTS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3];
const POSITION_WEIGHTS = [0, 0.25, 0.5, 0.75, 1];
const RETRIEVAL_GRID: Weights[] = SCATTERING_WEIGHTS.flatMap((ws) => POSITION_WEIGHTS.map((wp): Weights => [1, ws, wp]));
const DEFAULT_WEIGHTS: Weights = [DEFAULT_BLOCK_WEIGHTS.huHistogram, DEFAULT_BLOCK_WEIGHTS.scattering, DEFAULT_BLOCK_WEIGHTS.bodyPosition];

interface LesionFeatures {
  patient: number;
  type: number;
  hist: Float32Array;
  scat: Float32Array;
  pos: Float32Array;
}

async function retrievalFeatures(slices: Slice[]): Promise<{ features: LesionFeatures[]; subBlocks: number[] }> {
  const model = buildScatteringModel();
  const session = await ort.InferenceSession.create(model.bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  const { size, channels } = model.design;
  const plane = size * size;
  const features: LesionFeatures[] = [];
  try {
    for (const slice of slices) {
      const body = bodyBoundingBox(slice.image);
      for (const lesion of slice.lesions) {
        const { patch, boxMask } = scatteringInputs(slice.image, lesion.box, DEFAULT_SCATTERING_INPUT);
        const out = await session.run({
          [model.inputName]: new ort.Tensor('float32', patch, [1, channels, size, size]),
          [model.maskInputName]: new ort.Tensor('float32', boxMask.slice(0, plane), [1, 1, size, size]),
        });
        const { u, v } = positionInBody(body, lesion.box);
        features.push({
          patient: lesion.patientIndex,
          type: lesion.coarseType,
          hist: huHistogramBlock(slice.image, lesion.box),
          scat: (out[model.outputName].data as Float32Array).slice(0, model.dim),
          pos: positionBumps(u, v),
        });
      }
    }
  } finally {
    await session.release();
  }
  return { features, subBlocks: model.subBlocks };
}

function retrievalItems(features: LesionFeatures[], [wh, ws, wp]: Weights, subBlocks: number[]): RetrievalItem[] {
  return features.map((f) => ({
    vector: combineBlocks(
      [
        { vector: f.hist, weight: wh, subBlocks: [32, 32] },
        { vector: f.scat, weight: ws, subBlocks },
        { vector: f.pos, weight: wp },
      ].filter((b) => b.weight > 0),
    ),
    label: f.type,
    group: f.patient,
  }));
}

function retrievalCv(features: LesionFeatures[], subBlocks: number[], splits: number) {
  // Per grid point: the per-query results over all lesions (gallery: every other patient), and a cache for subsets.
  const full = RETRIEVAL_GRID.map((w) => retrievalPerQuery(retrievalItems(features, w, subBlocks)));
  const subsetCache = new Map<string, number>();
  const trainingMap = (gridIndex: number, patients: number[]): number => {
    const key = `${gridIndex}:${patients.join(',')}`;
    if (!subsetCache.has(key)) {
      const keep = features.map((f, i) => (patients.includes(f.patient) ? i : -1)).filter((i) => i >= 0);
      const items = retrievalItems(
        keep.map((i) => features[i]),
        RETRIEVAL_GRID[gridIndex],
        subBlocks,
      );
      subsetCache.set(key, summariseQueries(retrievalPerQuery(items)).meanAveragePrecision);
    }
    return subsetCache.get(key)!;
  };
  const defaultIndex = RETRIEVAL_GRID.findIndex((w) => w.every((v, i) => v === DEFAULT_WEIGHTS[i]));
  const inSample = summariseQueries(full[defaultIndex]);
  const bestAll = argmaxFirst(
    RETRIEVAL_GRID.map((_, i) => i),
    (i) => summariseQueries(full[i]).meanAveragePrecision,
  );
  const runSplit = (seed: number) => {
    const folds = twoPatientFolds(
      features.map((f) => f.patient),
      seed,
    );
    const heldOut: QueryResult[] = [];
    const inSampleSame: QueryResult[] = [];
    const chosen: Weights[] = [];
    folds.forEach((train, k) => {
      const test = folds[1 - k];
      const pick = argmaxFirst(
        RETRIEVAL_GRID.map((_, i) => i),
        (i) => trainingMap(i, train),
      );
      chosen.push(RETRIEVAL_GRID[pick.best]);
      heldOut.push(...full[pick.best].filter((q) => test.includes(q.group)));
      inSampleSame.push(...full[defaultIndex].filter((q) => test.includes(q.group)));
    });
    return {
      folds,
      chosen,
      heldOut: summariseQueries(heldOut),
      foldMetrics: folds.map((_, k) => summariseQueries(heldOut.filter((q) => folds[1 - k].includes(q.group)))),
    };
  };
  const main = runSplit(MAIN_SEED);
  const more = Array.from({ length: splits }, (_, i) => runSplit(MAIN_SEED + 1 + i));
  return { inSample, bestAll: { weights: RETRIEVAL_GRID[bestAll.best], metrics: summariseQueries(full[bestAll.best]) }, main, more };
}

function formatRetrieval(r: ReturnType<typeof retrievalCv>, splits: number): string {
  const w = (x: Weights) => `[${x.join(', ')}]`;
  const spread = (pick: (m: ReturnType<typeof summariseQueries>) => number) => {
    const v = r.more.map((s) => pick(s.heldOut));
    return `${f3(mean(v))} (${f3(Math.min(...v))}–${f3(Math.max(...v))})`;
  };
  return [
    '| weights [hist, scat, pos] | chosen on | reported on | queries | P@1 | mAP |',
    '|---|---|---|---|---|---|',
    mdRow([
      `default ${w(DEFAULT_WEIGHTS)}`,
      'all 10 patients (in-sample, optimistic)',
      'all 10',
      r.inSample.queries,
      f3(r.inSample.precisionAt1),
      f3(r.inSample.meanAveragePrecision),
    ]),
    mdRow([
      `grid best ${w(r.bestAll.weights)}`,
      'all 10 patients (in-sample maximum)',
      'all 10',
      r.bestAll.metrics.queries,
      f3(r.bestAll.metrics.precisionAt1),
      f3(r.bestAll.metrics.meanAveragePrecision),
    ]),
    ...r.main.folds.map((train, k) => {
      const m = r.main.foldMetrics[k];
      return mdRow([
        w(r.main.chosen[k]),
        `patients ${train.join(', ')}`,
        `patients ${r.main.folds[1 - k].join(', ')}`,
        m.queries,
        f3(m.precisionAt1),
        f3(m.meanAveragePrecision),
      ]);
    }),
    mdRow([
      're-chosen per fold',
      `the other half (split seed ${MAIN_SEED})`,
      'all 10, held out (pooled)',
      r.main.heldOut.queries,
      f3(r.main.heldOut.precisionAt1),
      f3(r.main.heldOut.meanAveragePrecision),
    ]),
    mdRow([
      're-chosen per fold',
      `the other half, ${splits} more random splits`,
      'held out (pooled), mean (min–max)',
      r.main.heldOut.queries,
      spread((m) => m.precisionAt1),
      spread((m) => m.meanAveragePrecision),
    ]),
  ].join('\n');
}

// ---------------------------------------------------------------- detection

interface DetectionConstants extends ScoreConstants {
  marginPx: number;
}

const DETECTION_GRID: DetectionConstants[] = [3, 5, 7].flatMap((minLesionSigma) =>
  [100, 120, 160].flatMap((enhancedHu) =>
    [-100, -60, -30].flatMap((fatHu) =>
      [0.15, 0.25, 0.4].flatMap((asymmetryFull) => [1, 3, 5].map((marginPx) => ({ minLesionSigma, enhancedHu, fatHu, asymmetryFull, marginPx }))),
    ),
  ),
);
const DEFAULT_DETECTION: DetectionConstants = { ...DEFAULT_SCORE_CONSTANTS, marginPx: REFINED_BOX_MARGIN_PX };

interface SliceCandidates {
  candidates: BlobCandidate[];
  smoothed: [Float32Array | null, Float32Array | null];
  windowed: [Float32Array, Float32Array];
  scale: number;
  size: number;
  refined: Map<number, Box>;
}

async function detectionCandidates(slices: Slice[]): Promise<SliceCandidates[]> {
  const { manifest, bytes } = buildDefaultDetector();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  const out: SliceCandidates[] = [];
  try {
    for (const slice of slices) {
      const size = manifest.input.size;
      const fit = planFit(slice.image, size, manifest.input.spacingMm);
      const fitted = fitSlice(slice.image, fit);
      const masks = bodyMasks(fitted, size, size);
      // As DetectorService.prepare: each window scaled to [0, 1], the outside of the body at the window's floor.
      const plane = size * size;
      const input = new Float32Array(manifest.input.windows.length * plane);
      manifest.input.windows.forEach(([low, high], c) => {
        for (let i = 0; i < plane; i++) {
          const v = masks.body[i] ? fitted[i] : low;
          input[c * plane + i] = v < low ? 0 : v > high ? 1 : (v - low) / (high - low);
        }
      });
      const result = await session.run({ [manifest.model.input]: new ort.Tensor('float32', input, [1, manifest.input.windows.length, size, size]) });
      const octaves = manifest.model.outputs.octaves!.map((name) => ({
        data: result[name].data as Float32Array,
        width: result[name].dims[3],
        height: result[name].dims[2],
      }));
      const { candidates, windowed } = blobCandidates({ hu: fitted, width: size, height: size, masks }, octaves);
      out.push({ candidates, windowed, smoothed: [null, null], scale: fit.scale, size, refined: new Map() });
    }
  } finally {
    await session.release();
  }
  return out;
}

/** Greedy NMS, best score first (ties: input order), checking each box against the kept ones only; stops at maxKeep. */
function greedyNms(boxes: Box[], scores: number[], iou: number, maxKeep: number): number[] {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length >= maxKeep) break;
    if (kept.every((k) => intersectionOverUnion(boxes[k], boxes[i]) <= iou)) kept.push(i);
  }
  return kept;
}

/** The detector's answer at score threshold 0 for one slice under the given constants (as DetectorService.decode). */
function detectWith(s: SliceCandidates, k: DetectionConstants, scores: number[]): { box: Box; score: number }[] {
  const kept = greedyNms(
    s.candidates.map((c) => c.squareBox),
    scores,
    0.3,
    50,
  );
  const boxes = kept.map((i) => {
    const key = i * 16 + k.marginPx;
    if (!s.refined.has(key)) {
      const c = s.candidates[i];
      const w = c.channel < 2 ? 0 : 1;
      s.smoothed[w] ??= gaussianBlur(s.windowed[w], s.size, s.size, 1);
      s.refined.set(key, refineBox(s.smoothed[w]!, s.size, s.size, c, k.marginPx));
    }
    return s.refined.get(key)!;
  });
  const keptScores = kept.map((i) => scores[i]);
  return greedyNms(boxes, keptScores, 0.3, 50).map((j) => ({
    box: { x1: boxes[j].x1 / s.scale, y1: boxes[j].y1 / s.scale, x2: boxes[j].x2 / s.scale, y2: boxes[j].y2 / s.scale },
    score: keptScores[j],
  }));
}

function detectionCv(slices: Slice[], cands: SliceCandidates[], splits: number) {
  // Detections of every slice at every grid point (score constants shared across margins are scored once).
  const detections: { box: Box; score: number }[][][] = [];
  const scoreCache = new Map<string, number[][]>();
  for (const k of DETECTION_GRID) {
    const key = `${k.minLesionSigma}:${k.enhancedHu}:${k.fatHu}:${k.asymmetryFull}`;
    if (!scoreCache.has(key))
      scoreCache.set(
        key,
        cands.map((s) => s.candidates.map((c) => candidateScore(c, k))),
      );
    const scores = scoreCache.get(key)!;
    detections.push(cands.map((s, i) => detectWith(s, k, scores[i])));
  }
  const imagesOf = (g: number, keep: number[]): FrocImage[] => keep.map((i) => ({ detections: detections[g][i], truths: slices[i].lesions.map((l) => l.box) }));
  const sliceIdx = (patients: number[]) => slices.map((s, i) => (patients.includes(s.lesions[0].patientIndex) ? i : -1)).filter((i) => i >= 0);
  const all = slices.map((_, i) => i);
  const objective = (g: number, keep: number[]) =>
    mean(frocLesionHits(imagesOf(g, keep), 'iou', REPORT_RATES).map((h) => h.filter(Boolean).length / Math.max(1, h.length)));
  /** Per lesion (slice order), hit at each rate, under both criteria. */
  const lesionHits = (g: number, keep: number[]) => ({
    iou: frocLesionHits(imagesOf(g, keep), 'iou', REPORT_RATES),
    centre: frocLesionHits(imagesOf(g, keep), 'centre', REPORT_RATES),
  });
  const typesOf = (keep: number[]) => keep.flatMap((i) => slices[i].lesions.map((l) => l.coarseType));
  const defaultIndex = DETECTION_GRID.findIndex((k) =>
    (Object.keys(DEFAULT_DETECTION) as (keyof DetectionConstants)[]).every((key) => k[key] === DEFAULT_DETECTION[key]),
  );
  if (defaultIndex < 0) throw new Error('the default constants are not on the grid');
  const bestAll = argmaxFirst(
    DETECTION_GRID.map((_, g) => g),
    (g) => objective(g, all),
  );
  interface Pooled {
    iou: boolean[][];
    centre: boolean[][];
    types: number[];
  }
  const pool = (parts: { hits: ReturnType<typeof lesionHits>; types: number[] }[]): Pooled => ({
    iou: REPORT_RATES.map((_, r) => parts.flatMap((p) => p.hits.iou[r])),
    centre: REPORT_RATES.map((_, r) => parts.flatMap((p) => p.hits.centre[r])),
    types: parts.flatMap((p) => p.types),
  });
  const runSplit = (seed: number) => {
    const folds = twoPatientFolds(
      slices.map((s) => s.lesions[0].patientIndex),
      seed,
    );
    const chosen: DetectionConstants[] = [];
    const parts = folds.map((train, k) => {
      const test = sliceIdx(folds[1 - k]);
      const pick = argmaxFirst(
        DETECTION_GRID.map((_, g) => g),
        (g) => objective(g, sliceIdx(train)),
      );
      chosen.push(DETECTION_GRID[pick.best]);
      return { hits: lesionHits(pick.best, test), types: typesOf(test), defaultHits: lesionHits(defaultIndex, test) };
    });
    return { folds, chosen, heldOut: pool(parts), defaultOnFolds: pool(parts.map((p) => ({ hits: p.defaultHits, types: p.types }))) };
  };
  return {
    inSample: pool([{ hits: lesionHits(defaultIndex, all), types: typesOf(all) }]),
    bestAll: { constants: DETECTION_GRID[bestAll.best], pooled: pool([{ hits: lesionHits(bestAll.best, all), types: typesOf(all) }]) },
    main: runSplit(MAIN_SEED),
    more: Array.from({ length: splits }, (_, i) => runSplit(MAIN_SEED + 1 + i)),
    gridSize: DETECTION_GRID.length,
  };
}

function sensitivities(p: { iou: boolean[][]; centre: boolean[][]; types: number[] }, type?: number): { iou: number[]; centre: number[]; n: number } {
  const pick = (hits: boolean[]) => hits.filter((_, i) => type === undefined || p.types[i] === type);
  const rate = (hits: boolean[]) => {
    const h = pick(hits);
    return h.length ? h.filter(Boolean).length / h.length : NaN;
  };
  return { iou: p.iou.map(rate), centre: p.centre.map(rate), n: pick(p.iou[0]).length };
}

function formatDetection(r: ReturnType<typeof detectionCv>, splits: number): string {
  const k = (c: DetectionConstants) => `σmin ${c.minLesionSigma}, enh ${c.enhancedHu}, fat ${c.fatHu}, asym ${c.asymmetryFull}, margin ${c.marginPx}`;
  const row = (name: string, s: ReturnType<typeof sensitivities>) => `| ${name} | ${s.n} | ${s.iou.map(pct).join(' / ')} | ${s.centre.map(pct).join(' / ')} |`;
  const spread = (crit: 'iou' | 'centre') =>
    REPORT_RATES.map((_, i) => {
      const v = r.more.map((s) => sensitivities(s.heldOut)[crit][i]);
      return `${pct(mean(v))} (${pct(Math.min(...v))}–${pct(Math.max(...v))})`;
    }).join(' / ');
  const overall = [
    '| constants | lesions | IoU ≥ 0.5 at 1 / 2 / 4 FP | centre inside at 1 / 2 / 4 FP |',
    '|---|---|---|---|',
    row(`default (${k(DEFAULT_DETECTION)}), in-sample (optimistic)`, sensitivities(r.inSample)),
    row(`grid best on all 10 patients (${k(r.bestAll.constants)}), in-sample maximum`, sensitivities(r.bestAll.pooled)),
    row(`default, scored per fold (same operating points as held-out rows)`, sensitivities(r.main.defaultOnFolds)),
    row(
      `re-chosen per fold, held out (split seed ${MAIN_SEED}; chosen on half 1: ${k(r.main.chosen[0])}; on half 2: ${k(r.main.chosen[1])})`,
      sensitivities(r.main.heldOut),
    ),
    mdRow([`re-chosen per fold, held out: ${splits} more random splits, mean (min–max)`, sensitivities(r.main.heldOut).n, spread('iou'), spread('centre')]),
  ].join('\n');
  const types = [...new Set(r.inSample.types)].sort((a, b) => a - b);
  const perType = [
    mdRow([
      'coarse type',
      'lesions',
      'in-sample IoU ≥ 0.5 at 1 / 2 / 4 FP',
      'held-out IoU ≥ 0.5 at 1 / 2 / 4 FP',
      'in-sample centre at 1 / 2 / 4 FP',
      'held-out centre at 1 / 2 / 4 FP',
    ]),
    '|---|---|---|---|---|---|',
    ...types.map((t) => {
      const a = sensitivities(r.inSample, t);
      const b = sensitivities(r.main.heldOut, t);
      const rates = (v: number[]) => v.map(pct).join(' / ');
      return mdRow([`${t} ${COARSE_TYPES[t] ?? ''}`, a.n, rates(a.iou), rates(b.iou), rates(a.centre), rates(b.centre)]);
    }),
  ].join('\n');
  return `${overall}\n\nPer coarse type (held out: split seed ${MAIN_SEED}; each fold at its own operating points):\n\n${perType}`;
}

async function main() {
  const shared = path.join(__dirname, '..', '..', 'shared', 'data', 'deeplesion-samples');
  const csvPath = path.resolve(arg('csv', path.join(shared, 'lesions.csv')));
  const imagesDir = path.resolve(arg('images', path.join(shared, 'images')));
  const format = arg('format', path.basename(csvPath) === 'lesions.csv' ? 'samples' : 'deeplesion') as CsvFormat;
  const only = arg('only', 'both');
  const splits = Number(arg('splits', '10'));
  if (!fs.existsSync(csvPath)) {
    console.log(`skipped: ${csvPath} is absent (the shared DeepLesion samples are not here)`);
    return;
  }
  const t0 = performance.now();
  const slices = loadSlices(format, csvPath, imagesDir);
  const lesions = slices.reduce((n, s) => n + s.lesions.length, 0);
  const patients = new Set(slices.map((s) => s.lesions[0].patientIndex)).size;
  const sections: string[] = [];
  const reading: string[] = [];
  if (only !== 'detection') {
    const t = performance.now();
    const { features, subBlocks } = await retrievalFeatures(slices);
    const r = retrievalCv(features, subBlocks, splits);
    const table = formatRetrieval(r, splits);
    console.log(`retrieval (${((performance.now() - t) / 1000).toFixed(0)} s):\n${table}\n`);
    const splitMap = mean(r.more.map((x) => x.heldOut.meanAveragePrecision));
    reading.push(
      `retrieval mAP ${f3(r.inSample.meanAveragePrecision)} in-sample → ${f3(r.main.heldOut.meanAveragePrecision)} held out ` +
        `(split seed ${MAIN_SEED}; ${f3(splitMap)} averaged over ${splits} more splits), ` +
        `P@1 ${f3(r.inSample.precisionAt1)} → ${f3(r.main.heldOut.precisionAt1)} (${f3(mean(r.more.map((x) => x.heldOut.precisionAt1)))})`,
    );
    sections.push(
      [
        '### Retrieval (type-relevant, cross-patient): in-sample and held-out',
        '',
        `Grid: histogram weight 1, scattering ${SCATTERING_WEIGHTS.join(' / ')}, position ${POSITION_WEIGHTS.join(' / ')} ` +
          `(${RETRIEVAL_GRID.length} points, chosen by mAP among the training patients' lesions). ` +
          'Held-out queries search the lesions of every other patient (both halves), as the in-sample rows do.',
        '',
        table,
      ].join('\n'),
    );
  }
  if (only !== 'retrieval') {
    const t = performance.now();
    const cands = await detectionCandidates(slices);
    const r = detectionCv(slices, cands, splits);
    const table = formatDetection(r, splits);
    console.log(`detection (${((performance.now() - t) / 1000).toFixed(0)} s):\n${table}\n`);
    const at4 = REPORT_RATES.indexOf(4);
    reading.push(
      `detection sensitivity (IoU ≥ 0.5) at 4 FP per slice ${pct(sensitivities(r.inSample).iou[at4])} in-sample → ` +
        `${pct(sensitivities(r.main.heldOut).iou[at4])} held out ` +
        `(${pct(mean(r.more.map((x) => sensitivities(x.heldOut).iou[at4])))} averaged over ${splits} more splits)`,
    );
    sections.push(
      [
        '### Detection (FROC, one pooled score threshold per evaluated set): in-sample and held-out',
        '',
        'Grid: smallest lesion scale σmin 3 / 5 / 7 px (MIN_LESION_SIGMA), enhancement HU 100 / 120 / 160 (ENHANCED_HU), ' +
          'fat/gas HU −100 / −60 / −30 (FAT_HU), asymmetry scale 0.15 / 0.25 / 0.4 (ASYMMETRY_FULL), ' +
          'refined box margin 1 / 3 / 5 px (REFINED_BOX_MARGIN_PX): ' +
          `${r.gridSize} points, chosen by the mean IoU ≥ 0.5 sensitivity at 1, 2 and 4 FP per slice on the training patients' slices. ` +
          'The scale space, peaks and features are computed once; the grid re-scores, suppresses and refines. ' +
          "Held-out sensitivities pool both folds' lesions, each fold at its own FP rates (its slices only).",
        '',
        table,
      ].join('\n'),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const mainFolds = twoPatientFolds(
    slices.map((s) => s.lesions[0].patientIndex),
    MAIN_SEED,
  );
  const header =
    `${lesions} lesions on ${slices.length} slices, ${patients} patients; two folds over patients ` +
    `(split seed ${MAIN_SEED}: ${mainFolds.map((f) => f.join(', ')).join(' | ')}), ` +
    `plus ${splits} random splits (seeds ${MAIN_SEED + 1}–${MAIN_SEED + splits}). ` +
    `${seconds.toFixed(0)} s in all, load average ${os.loadavg()[0].toFixed(1)}.`;
  console.log(header);
  if (process.argv.includes('--write')) {
    const set = path.basename(path.dirname(csvPath));
    writeSection(
      `cross-validation-${set}`,
      [
        `## Cross-validated constants: retrieval weights and detector constants (\`npm run bench:cv\`)`,
        '',
        `${machineLine()}. Command: \`npm run bench:cv -- ${process.argv.slice(2).join(' ')}\`.`,
        '',
        header,
        '',
        `In short: ${reading.join('; ')}. ` + 'The in-sample rows reproduce `npm run eval -- retrieval` and `npm run eval -- detection` on the same lesions.',
        '',
        ...sections.flatMap((s) => [s, '']),
        CV_NOTE,
      ].join('\n'),
    );
    console.log('written to docs/BENCHMARKS.md');
  }
}

const CV_NOTE =
  "Not cross-validated here: the point-to-box margin (POINT_BOX_MARGIN_PX, also chosen on these lesions), the detector's scale space and peak counts, " +
  "and the encoder's scattering design. The defaults are not changed from these numbers: with 5 patients per half the chosen constants move with the split, " +
  'and a grid point that wins on 25 lesions is no evidence that it is better on the archive. ' +
  'The held-out rows are the numbers to quote for new patients; the in-sample rows are how the constants were chosen. ' +
  "The detection row 'default, scored per fold' is not held out (the defaults were chosen on all 10 patients): it separates the two causes of the drop, " +
  'showing how much comes from splitting the operating points per fold and how much from choosing the constants on 5 patients.';

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
