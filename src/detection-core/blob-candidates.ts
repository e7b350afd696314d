import { Box } from '../imaging/hu-image';
import { BodyMasks, componentAt, gaussianBlur } from './body-mask';
import { nonMaximumSuppression, ScoredBox } from './nms';
import { scaleLevels, SCALES_PER_OCTAVE, ScaleLevel } from '../ml/default-detector/scale-space';

/**
 * The TypeScript half of the default detector: reads the difference-of-Gaussians octaves the ONNX
 * model computed on the soft-tissue and lung windows, finds blob peaks per scale in both polarities,
 * re-scores each by disc-versus-ring contrast normalised by spread (with penalties for elongation,
 * the body outline and bright bone), suppresses overlaps and refines each kept box by thresholding
 * at the disc/ring midpoint.
 */
export const SOFT_TISSUE_WINDOW: [number, number] = [-160, 240];
export const LUNG_WINDOW: [number, number] = [-1350, 150];

export interface BlobParameters {
  peaksPerScale: number;
  candidateNmsIou: number;
  maxDetections: number;
  /** Smallest lung area (px at 512²) for the lung channels to run. */
  minLungArea: number;
}

export const DEFAULT_BLOB_PARAMETERS: BlobParameters = { peaksPerScale: 40, candidateNmsIou: 0.3, maxDetections: 50, minLungArea: 2000 };

/** Channels: 0 soft tissue bright, 1 soft tissue dark, 2 lung bright, 3 lung dark. */
export interface BlobCandidate {
  x: number;
  y: number;
  sigma: number;
  response: number;
  polarity: 1 | -1;
  channel: 0 | 1 | 2 | 3;
  /** Disc mean and spread, ring mean and spread (HU, windowed), Hessian ratio, distance to outside / r, ring share in body. */
  features: BlobFeatures;
  score: number;
  squareBox: Box;
  box: Box;
}

export interface BlobFeatures {
  discMean: number;
  discStd: number;
  ringMean: number;
  ringStd: number;
  /** Hessian eigenvalue ratio of the response at the peak: 1 round, ≤ 0 ridge or saddle. */
  roundness: number;
  /** Distance to the body outline over r. */
  edgeDistance: number;
  ringInBody: number;
  /** polarity × (disc mean − ring sector mean) over 8 sectors, sorted ascending: a blob stands out on every side. */
  sectorContrasts: number[];
  /** Smallest |disc mean − mean at the mirrored place| (mirror about the body's vertical midline, searched ±r). */
  mirrorDifference: number;
}

/** Summed-area table of an image: mean of any axis-aligned box in O(1). */
export class IntegralImage {
  private readonly table: Float64Array;
  constructor(
    image: Float32Array,
    readonly width: number,
    readonly height: number,
  ) {
    const w1 = width + 1;
    this.table = new Float64Array(w1 * (height + 1));
    for (let y = 0; y < height; y++) {
      let row = 0;
      for (let x = 0; x < width; x++) {
        row += image[y * width + x];
        this.table[(y + 1) * w1 + x + 1] = this.table[y * w1 + x + 1] + row;
      }
    }
  }

  /** Mean over the square of half side h around (cx, cy), clipped to the image (NaN when empty). */
  squareMean(cx: number, cy: number, h: number): number {
    const x0 = Math.max(0, Math.round(cx - h));
    const x1 = Math.min(this.width, Math.round(cx + h) + 1);
    const y0 = Math.max(0, Math.round(cy - h));
    const y1 = Math.min(this.height, Math.round(cy + h) + 1);
    if (x1 <= x0 || y1 <= y0) return NaN;
    const w1 = this.width + 1;
    const t = this.table;
    return (t[y1 * w1 + x1] - t[y0 * w1 + x1] - t[y1 * w1 + x0] + t[y0 * w1 + x0]) / ((x1 - x0) * (y1 - y0));
  }
}

/** The body's vertical midline: mean column of body pixels. */
export function bodyMidline(body: Uint8Array, width: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < body.length; i++)
    if (body[i]) {
      sum += i % width;
      n++;
    }
  return n ? sum / n : width / 2;
}

export function mirrorDifference(integral: IntegralImage, midline: number, x: number, y: number, r: number): number {
  const h = Math.max(1, 0.7 * r);
  const own = integral.squareMean(x, y, h);
  const mx = 2 * midline - x;
  const step = Math.max(1, r / 2);
  let best = Infinity;
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const m = integral.squareMean(mx + dx * step, y + dy * step, h);
      if (Number.isFinite(m)) best = Math.min(best, Math.abs(own - m));
    }
  }
  return Number.isFinite(best) ? best : 0;
}

export interface Octave {
  data: Float32Array;
  width: number;
  height: number;
}

/** Windowed (clipped, HU units) copy of a slice. */
export function clipWindow(hu: Float32Array, [low, high]: [number, number]): Float32Array {
  const out = new Float32Array(hu.length);
  for (let i = 0; i < hu.length; i++) out[i] = hu[i] < low ? low : hu[i] > high ? high : hu[i];
  return out;
}

/**
 * Local maxima of polarity × response at one scale: strictly positive, the maximum of their
 * (2⌈σ⌉+1)² window (borders clipped), centre allowed by `allowed` (full-resolution mask).
 */
export function scalePeaks(
  octave: Octave,
  plane: number,
  level: ScaleLevel,
  polarity: 1 | -1,
  allowed: Uint8Array,
  fullWidth: number,
  keep: number,
): { x: number; y: number; value: number }[] {
  const { width: w, height: h, data } = octave;
  const base = plane * w * h;
  const radius = Math.ceil(level.sigmaOctave);
  const f = 2 ** level.octave;
  const found: { x: number; y: number; value: number }[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = polarity * data[base + y * w + x];
      if (v <= 0) continue;
      const fx = x * f;
      const fy = y * f;
      if (!allowed[fy * fullWidth + fx]) continue;
      // The nearest neighbours first: most pixels are not peaks and fail there.
      if (x > 0 && polarity * data[base + y * w + x - 1] > v) continue;
      if (x < w - 1 && polarity * data[base + y * w + x + 1] > v) continue;
      if (y > 0 && polarity * data[base + (y - 1) * w + x] > v) continue;
      if (y < h - 1 && polarity * data[base + (y + 1) * w + x] > v) continue;
      let isMax = true;
      const y0 = Math.max(0, y - radius);
      const y1 = Math.min(h - 1, y + radius);
      const x0 = Math.max(0, x - radius);
      const x1 = Math.min(w - 1, x + radius);
      for (let yy = y0; yy <= y1 && isMax; yy++) {
        const row = base + yy * w;
        for (let xx = x0; xx <= x1; xx++) {
          if (polarity * data[row + xx] > v) {
            isMax = false;
            break;
          }
        }
      }
      if (isMax) found.push({ x: fx, y: fy, value: v });
    }
  }
  found.sort((a, b) => b.value - a.value);
  return found.slice(0, keep);
}

/** Ratio of the smaller to the larger Hessian eigenvalue (by magnitude) of the response at a peak: 1 round, ≤ 0 ridge. */
function roundness(octave: Octave, plane: number, level: ScaleLevel, fx: number, fy: number): number {
  const { width: w, height: h, data } = octave;
  const f = 2 ** level.octave;
  const x = Math.min(w - 1, Math.round(fx / f));
  const y = Math.min(h - 1, Math.round(fy / f));
  const s = Math.max(1, Math.round(level.sigmaOctave / 2));
  const at = (xx: number, yy: number) => data[plane * w * h + Math.min(h - 1, Math.max(0, yy)) * w + Math.min(w - 1, Math.max(0, xx))];
  const c = at(x, y);
  const hxx = (at(x + s, y) - 2 * c + at(x - s, y)) / (s * s);
  const hyy = (at(x, y + s) - 2 * c + at(x, y - s)) / (s * s);
  const hxy = (at(x + s, y + s) - at(x + s, y - s) - at(x - s, y + s) + at(x - s, y - s)) / (4 * s * s);
  const tr = hxx + hyy;
  const det = hxx * hyy - hxy * hxy;
  const disc = Math.sqrt(Math.max((tr * tr) / 4 - det, 0));
  const l1 = tr / 2 + disc;
  const l2 = tr / 2 - disc;
  const [big, small] = Math.abs(l1) >= Math.abs(l2) ? [l1, l2] : [l2, l1];
  return big !== 0 ? small / big : 0;
}

/** Mean and standard deviation of the disc d ≤ rIn and of the ring rOut0 ≤ d ≤ rOut1 around (cx, cy). */
/** `ringMask`: when given, only its pixels count in the ring (point to box: the body, so outside air never forms the ring). */
export function discRingStats(
  img: Float32Array,
  width: number,
  height: number,
  cx: number,
  cy: number,
  rIn: number,
  rOut0: number,
  rOut1: number,
  body?: Uint8Array,
  ringMask?: Uint8Array,
) {
  const x0 = Math.max(0, Math.floor(cx - rOut1));
  const x1 = Math.min(width - 1, Math.ceil(cx + rOut1));
  const y0 = Math.max(0, Math.floor(cy - rOut1));
  const y1 = Math.min(height - 1, Math.ceil(cy + rOut1));
  let n1 = 0,
    s1 = 0,
    q1 = 0,
    n2 = 0,
    s2 = 0,
    q2 = 0,
    inBody = 0;
  const sectorSum = new Float64Array(8);
  const sectorCount = new Float64Array(8);
  const rIn2 = rIn * rIn,
    r02 = rOut0 * rOut0,
    r12 = rOut1 * rOut1;
  // Large neighbourhoods are sampled on a coarser grid (about 48 samples across): means barely move.
  const step = 1 + Math.floor(rOut1 / 24);
  for (let y = y0; y <= y1; y += step) {
    const dy2 = (y - cy) * (y - cy);
    const row = y * width;
    for (let x = x0; x <= x1; x += step) {
      const d2 = dy2 + (x - cx) * (x - cx);
      const v = img[row + x];
      if (d2 <= rIn2) {
        n1++;
        s1 += v;
        q1 += v * v;
      } else if (d2 >= r02 && d2 <= r12 && (!ringMask || ringMask[row + x])) {
        n2++;
        s2 += v;
        q2 += v * v;
        if (body?.[row + x]) inBody++;
        const dx = x - cx;
        const dy = y - cy;
        const sector = (dy < 0 ? 4 : 0) + (dx < 0 ? 2 : 0) + (Math.abs(dx) < Math.abs(dy) ? 1 : 0);
        sectorSum[sector] += v;
        sectorCount[sector]++;
      }
    }
  }
  const m1 = n1 ? s1 / n1 : 0;
  const sd1 = n1 ? Math.sqrt(Math.max(q1 / n1 - m1 * m1, 0)) : 0;
  const m2 = n2 ? s2 / n2 : m1;
  const sd2 = n2 ? Math.sqrt(Math.max(q2 / n2 - m2 * m2, 0)) : 0;
  const sectorMeans = Array.from(sectorSum, (v, i) => (sectorCount[i] ? v / sectorCount[i] : m2));
  return { discMean: m1, discStd: sd1, ringMean: m2, ringStd: sd2, ringInBody: n2 ? inBody / n2 : 0, discCount: n1, ringCount: n2, sectorMeans };
}

const clip = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** Below this scale (px) the score falls with (σ / MIN_SIGMA)²: most findings are larger than vessels seen end-on. */
export const MIN_LESION_SIGMA = 5;
/** A bright soft-tissue blob above this (HU) is mostly contrast-filled vessel, bowel or renal cortex. */
export const ENHANCED_HU = 120;
/** A dark soft-tissue blob whose disc is below this (HU) is fat or gas, rarely a lesion. */
export const FAT_HU = -60;
/** Mirror difference (HU) relative to the contrast at which a blob counts as fully asymmetric. */
export const ASYMMETRY_FULL = 0.25;

/** The tuned constants of the candidate score (cross-validated over patients by `npm run bench:cv`). */
export interface ScoreConstants {
  minLesionSigma: number;
  enhancedHu: number;
  fatHu: number;
  asymmetryFull: number;
}

export const DEFAULT_SCORE_CONSTANTS: ScoreConstants = {
  minLesionSigma: MIN_LESION_SIGMA,
  enhancedHu: ENHANCED_HU,
  fatHu: FAT_HU,
  asymmetryFull: ASYMMETRY_FULL,
};

/**
 * The contrast score of a candidate: polarity × (disc − ring) over the spread, times penalties for
 * elongation (Hessian ratio), nearness to the body outline, a ring partly outside the body, bright
 * bone or dark fat and gas in the soft-tissue window, small scale, and left–right symmetry (normal anatomy mostly has a
 * mirror twin; a lesion mostly has none).
 */
export function candidateScore(c: Pick<BlobCandidate, 'polarity' | 'channel' | 'features' | 'sigma'>, k: ScoreConstants = DEFAULT_SCORE_CONSTANTS): number {
  const { discMean: mi, discStd: si, ringMean: mr, ringStd: sr, roundness: ratio, edgeDistance, ringInBody, mirrorDifference } = c.features;
  const windowWidth = c.channel < 2 ? SOFT_TISSUE_WINDOW[1] - SOFT_TISSUE_WINDOW[0] : LUNG_WINDOW[1] - LUNG_WINDOW[0];
  const contrast = Math.max(c.polarity * (mi - mr), 0);
  let s = contrast / (0.5 * (si + sr) + (10 * windowWidth) / 400);
  s *= clip(ratio, 0.05, 1) * clip(edgeDistance / 2, 0.1, 1) * clip(ringInBody, 0.1, 1);
  if (c.channel === 0 && mi > 200) s *= 0.3;
  else if (c.channel === 0 && mi > k.enhancedHu) s *= 0.5;
  if (c.channel === 1 && mi < k.fatHu) s *= 0.3;
  if (c.sigma < k.minLesionSigma) s *= (c.sigma / k.minLesionSigma) ** 2;
  s *= clip(mirrorDifference / Math.max(contrast, 1) / k.asymmetryFull, 0.1, 1);
  return s;
}

/** Margin around a refined region, as for point-to-box (DeepLesion boxes sit outside the lesion edge). */
export const REFINED_BOX_MARGIN_PX = 3;

/** Threshold at the disc/ring midpoint around the peak; the component under the core becomes the box (or the square box stays). */
export function refineBox(
  smoothed: Float32Array,
  width: number,
  height: number,
  c: Pick<BlobCandidate, 'x' | 'y' | 'sigma' | 'polarity' | 'features' | 'squareBox'>,
  margin = REFINED_BOX_MARGIN_PX,
): Box {
  const r = Math.SQRT2 * c.sigma;
  const R = 2 * r + 2;
  const x0 = Math.max(0, Math.floor(c.x - R));
  const x1 = Math.min(width - 1, Math.ceil(c.x + R));
  const y0 = Math.max(0, Math.floor(c.y - R));
  const y1 = Math.min(height - 1, Math.ceil(c.y + R));
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const mask = new Uint8Array(w * h);
  const mid = 0.5 * (c.features.discMean + c.features.ringMean);
  const core = Math.max(0.5 * r, 1.5);
  let seed = -1;
  let seedD = Infinity;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const d = Math.hypot(x - c.x, y - c.y);
      if (d <= R && c.polarity * (smoothed[y * width + x] - mid) > 0) {
        mask[(y - y0) * w + (x - x0)] = 1;
        if (d <= core && d < seedD) {
          seed = (y - y0) * w + (x - x0);
          seedD = d;
        }
      }
    }
  }
  if (seed < 0) return c.squareBox;
  const comp = componentAt(mask, w, h, seed);
  let area = 0,
    minX = Infinity,
    minY = Infinity,
    maxX = -1,
    maxY = -1;
  for (let i = 0; i < comp.length; i++) {
    if (!comp[i]) continue;
    area++;
    const x = i % w,
      y = (i / w) | 0;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  if (area < 0.25 * Math.PI * r * r || area > 0.9 * Math.PI * R * R) return c.squareBox;
  const m = margin;
  return { x1: x0 + minX - 0.5 - m, y1: y0 + minY - 0.5 - m, x2: x0 + maxX + 0.5 + m, y2: y0 + maxY + 0.5 + m };
}

/** A slice in the model input's geometry (HU, row-major) with its body masks: where candidates are looked for. */
export interface MaskedSlice {
  hu: Float32Array;
  width: number;
  height: number;
  masks: BodyMasks;
}

/**
 * Candidates of one slice (model input geometry): `octaves[o]` holds [windows·3, h, w] responses,
 * window 0 = soft tissue, 1 = lung. Returns the kept candidates, best first.
 */
export function detectBlobs(slice: MaskedSlice, octaves: Octave[], params: BlobParameters = DEFAULT_BLOB_PARAMETERS): BlobCandidate[] {
  const { width, height } = slice;
  const { candidates, windowed } = blobCandidates(slice, octaves, params);
  const kept = nonMaximumSuppression(
    candidates.map((c) => ({ box: c.squareBox, score: c.score })),
    params.candidateNmsIou,
    params.maxDetections,
  ).map((i) => candidates[i]);
  const smoothed: Record<number, Float32Array> = {};
  for (const c of kept) {
    const w = c.channel < 2 ? 0 : 1;
    smoothed[w] ??= gaussianBlur(windowed[w], width, height, 1);
    c.box = refineBox(smoothed[w], width, height, c);
  }
  return kept;
}

/** Every scored peak of every channel and scale, before suppression. */
export function blobCandidates(
  { hu, width, height, masks }: MaskedSlice,
  octaves: Octave[],
  params: BlobParameters = DEFAULT_BLOB_PARAMETERS,
): { candidates: BlobCandidate[]; windowed: [Float32Array, Float32Array] } {
  const levels = scaleLevels(octaves.length);
  const soft = clipWindow(hu, SOFT_TISSUE_WINDOW);
  const lungImg = clipWindow(hu, LUNG_WINDOW);
  const notLungInner = new Uint8Array(hu.length);
  for (let i = 0; i < hu.length; i++) notLungInner[i] = masks.inner[i] && !masks.lung[i] ? 1 : 0;
  const specs: { channel: 0 | 1 | 2 | 3; window: 0 | 1; polarity: 1 | -1; allowed: Uint8Array }[] = [
    { channel: 0, window: 0, polarity: 1, allowed: notLungInner },
    { channel: 1, window: 0, polarity: -1, allowed: notLungInner },
  ];
  if (masks.lungArea > (params.minLungArea * width * height) / (512 * 512)) {
    specs.push({ channel: 2, window: 1, polarity: 1, allowed: masks.lungNear }, { channel: 3, window: 1, polarity: -1, allowed: masks.lung });
  }
  const candidates: BlobCandidate[] = [];
  const integrals = [new IntegralImage(soft, width, height), new IntegralImage(lungImg, width, height)];
  const midline = bodyMidline(masks.body, width);
  for (const spec of specs) {
    const img = spec.window === 0 ? soft : lungImg;
    for (const level of levels) {
      const octave = octaves[level.octave];
      const plane = spec.window * SCALES_PER_OCTAVE + level.level;
      for (const p of scalePeaks(octave, plane, level, spec.polarity, spec.allowed, width, params.peaksPerScale)) {
        const r = Math.SQRT2 * level.sigma;
        const stats = discRingStats(img, width, height, p.x, p.y, Math.max(0.8 * r, 1.5), 1.3 * r, 2 * r + 2, masks.body);
        const dist = masks.distanceToOutside[p.y * width + p.x];
        const features: BlobFeatures = {
          sectorContrasts: stats.sectorMeans.map((m) => spec.polarity * (stats.discMean - m)).sort((a, b) => a - b),
          discMean: stats.discMean,
          discStd: stats.discStd,
          ringMean: stats.ringMean,
          ringStd: stats.ringStd,
          roundness: roundness(octave, plane, level, p.x, p.y),
          edgeDistance: dist / r,
          mirrorDifference: mirrorDifference(integrals[spec.window], midline, p.x, p.y, r),
          ringInBody: stats.ringInBody,
        };
        const c = { x: p.x, y: p.y, sigma: level.sigma, response: p.value, polarity: spec.polarity, channel: spec.channel, features };
        const squareBox = { x1: p.x - r, y1: p.y - r, x2: p.x + r, y2: p.y + r };
        candidates.push({ ...c, score: candidateScore(c), squareBox, box: squareBox });
      }
    }
  }
  return { candidates, windowed: [soft, lungImg] };
}

export type { ScoredBox };
