/** Paints one axial slice of a patient's phantom (HU and tissue layers). */
import { DEEPLESION_HU_OFFSET } from '../../imaging/hu-image';
import { hashSeed, Prng } from '../prng';
import { clamp, Ellipse, mask, PatientAnatomy, sectionAt } from './geometry';
import { SampleCase, SampleSeries, SeriesLesion, Tissue } from './model';

/** Jest runs tests in a vm context where each global lookup is slow; local copies keep the pixel loops fast there. */
const { abs, ceil, cos, floor, max, min, round, sin, sqrt } = Math;

export interface Canvas {
  width: number;
  height: number;
  /** mm per pixel (x = y). */
  spacing: number;
  centerX: number;
  centerY: number;
  hu: Float32Array;
  tissue: Uint8Array;
}

const ANY_TISSUE = -1;

/**
 * Paints a soft-edged ellipse (mm, body-centred). `edgePx` is the width of the linear ramp across the
 * border, which stands in for partial-volume blur; the tissue label follows the 50% contour.
 */
function paintEllipse(canvas: Canvas, e: Ellipse, angle: number, hu: number, tissue: Tissue, paintsOver: number, edgePx: number): void {
  const { width, height, spacing } = canvas;
  const cx = canvas.centerX + e.x / spacing;
  const cy = canvas.centerY + e.y / spacing;
  const rx = e.rx / spacing;
  const ry = e.ry / spacing;
  if (rx < 0.35 || ry < 0.35) return;
  const cosA = cos(angle);
  const sinA = sin(angle);
  const halfEdge = edgePx / 2;
  const reachX = sqrt((rx * cosA) ** 2 + (ry * sinA) ** 2) + halfEdge + 1;
  const reachY = sqrt((rx * sinA) ** 2 + (ry * cosA) ** 2) + halfEdge + 1;
  const x0 = max(0, floor(cx - reachX));
  const x1 = min(width - 1, ceil(cx + reachX));
  const y0 = max(0, floor(cy - reachY));
  const y1 = min(height - 1, ceil(cy + reachY));
  const maxRho = 1 + halfEdge / min(rx, ry);
  const maxQ = maxRho * maxRho;
  const invRx2 = 1 / (rx * rx);
  const invRy2 = 1 / (ry * ry);
  const { hu: huBuf, tissue: tissueBuf } = canvas;
  for (let py = y0; py <= y1; py++) {
    const dy = py - cy;
    let i = py * width + x0;
    for (let px = x0; px <= x1; px++, i++) {
      const dx = px - cx;
      const u = dx * cosA + dy * sinA;
      const v = -dx * sinA + dy * cosA;
      const q = u * u * invRx2 + v * v * invRy2;
      if (q > maxQ) continue;
      if (paintsOver !== ANY_TISSUE && (paintsOver & (1 << tissueBuf[i])) === 0) continue;
      let alpha = 1;
      if (q > 0) {
        const rho = sqrt(q);
        // Distance to the border along the ray from the centre, in pixels.
        const signedDistance = (rho - 1) * (sqrt(u * u + v * v) / rho);
        alpha = clamp(0.5 - signedDistance / edgePx, 0, 1);
        if (alpha === 0) continue;
      }
      huBuf[i] += (hu - huBuf[i]) * alpha;
      if (alpha >= 0.5) tissueBuf[i] = tissue;
    }
  }
}

/** Per-study variation that does not belong to the patient: contrast phase and bowel gas. */
interface StudyLook {
  contrast: number;
  /** Seed for per-structure coin flips (bowel gas, stomach gas) that change between studies. */
  studySeed: number;
}

export function paintAnatomy(canvas: Canvas, anatomy: PatientAnatomy, look: StudyLook, z: number): void {
  const edgePx = 1;
  anatomy.structures.forEach((s, index) => {
    const section = sectionAt(s.keys, z);
    if (!section) return;
    if (s.presenceChance !== undefined && new Prng(hashSeed(look.studySeed, index, 1)).next() >= s.presenceChance) return;
    const paintsOver = s.paintsOver ?? ANY_TISSUE;
    paintEllipse(canvas, section, s.angle, s.hu + (s.contrastHu ?? 0) * look.contrast, s.tissue, paintsOver, edgePx);
    if (s.core) {
      const core = s.core;
      const inner = { x: section.x, y: section.y, rx: section.rx - core.insetMm, ry: section.ry - core.insetMm };
      if (inner.rx <= 0.5 || inner.ry <= 0.5) return;
      const gas = core.gasChance !== undefined && new Prng(hashSeed(look.studySeed, index, 2)).next() < core.gasChance;
      const hu = gas ? -1000 : core.hu + (core.contrastHu ?? 0) * look.contrast;
      paintEllipse(canvas, inner, s.angle, hu, core.tissue, 1 << s.tissue, edgePx);
    }
  });
}

/** The lesion's cross-section at z, or null where the slice misses the ellipsoid. */
function lesionSectionAt(lesion: SeriesLesion, z: number): Ellipse | null {
  const t = (z - lesion.center.z) / lesion.semiAxes.c;
  if (abs(t) >= 1) return null;
  const scale = sqrt(1 - t * t);
  return { x: lesion.center.x, y: lesion.center.y, rx: lesion.semiAxes.a * scale, ry: lesion.semiAxes.b * scale };
}

function paintLesion(canvas: Canvas, lesion: SeriesLesion, z: number): void {
  const section = lesionSectionAt(lesion, z);
  if (!section) return;
  const edgePx = lesion.edgeMm / canvas.spacing;
  if (lesion.rimHu === undefined) {
    paintEllipse(canvas, section, lesion.angle, lesion.hu, Tissue.LESION, ANY_TISSUE, edgePx);
    return;
  }
  paintEllipse(canvas, section, lesion.angle, lesion.rimHu, Tissue.LESION, ANY_TISSUE, edgePx);
  const core = { ...section, rx: section.rx * 0.72, ry: section.ry * 0.72 };
  paintEllipse(canvas, core, lesion.angle, lesion.hu, Tissue.LESION, mask(Tissue.LESION), edgePx * 1.5);
}

export function newCanvas(series: Pick<SampleSeries, 'width' | 'height' | 'spacing' | 'bodyCenterPx'>): Canvas {
  const size = series.width * series.height;
  return {
    width: series.width,
    height: series.height,
    spacing: series.spacing.x,
    centerX: series.bodyCenterPx.x,
    centerY: series.bodyCenterPx.y,
    hu: new Float32Array(size).fill(-1000),
    tissue: new Uint8Array(size),
  };
}

/**
 * Standard normal values for image noise. Looking them up with the seeded generator is about ten
 * times faster than Box–Muller per pixel, and 65 536 distinct values look the same as true noise.
 */
const NOISE_TABLE_MASK = (1 << 16) - 1;
const NOISE_TABLE: Float32Array = (() => {
  const rng = new Prng(0x5eed);
  const table = new Float32Array(NOISE_TABLE_MASK + 1);
  for (let i = 0; i < table.length; i++) table[i] = rng.normal();
  return table;
})();

export function sliceZmm(series: SampleSeries, sliceIndex: number): number {
  return series.zStartMm + (sliceIndex - 1) * series.spacing.z;
}

export interface RenderOptions {
  /** Add the seeded Gaussian noise (default true). */
  noise?: boolean;
  /** Paint the series' lesions (default true). */
  lesions?: boolean;
}

/** HU and tissue label of every pixel of one slice (row-major, width × height). */
export function renderSliceLayers(series: SampleSeries, sliceIndex: number, options: RenderOptions = {}): { hu: Float32Array; tissue: Uint8Array } {
  if (!Number.isInteger(sliceIndex) || sliceIndex < 1 || sliceIndex > series.sliceCount) {
    throw new RangeError(`slice ${sliceIndex} is outside 1..${series.sliceCount} of series ${series.folderName}`);
  }
  const canvas = newCanvas(series);
  const z = sliceZmm(series, sliceIndex);
  paintAnatomy(canvas, series.anatomy, studyLook(series), z);
  if (options.lesions ?? true) {
    for (const lesion of series.lesions) paintLesion(canvas, lesion, z);
  }
  if (options.noise ?? true) {
    const rng = new Prng(hashSeed(series.datasetSeed, series.patientIndex, series.studyIndex, series.seriesId, sliceIndex));
    const { hu } = canvas;
    const sd = series.noiseSdHu;
    for (let i = 0; i < hu.length; i++) hu[i] += sd * NOISE_TABLE[rng.nextUint32() & NOISE_TABLE_MASK];
  }
  return { hu: canvas.hu, tissue: canvas.tissue };
}

/** The slice in HU (float). */
export function renderSliceHu(series: SampleSeries, sliceIndex: number, options: RenderOptions = {}): Float32Array {
  return renderSliceLayers(series, sliceIndex, options).hu;
}

/** The slice as DeepLesion stores it: 16-bit HU + 32768, HU clipped to the CT range [-1024, 3071]. */
export function renderSlice(series: SampleSeries, sliceIndex: number, options: RenderOptions = {}): Uint16Array {
  return huToStored(renderSliceHu(series, sliceIndex, options));
}

export function huToStored(hu: Float32Array): Uint16Array {
  const out = new Uint16Array(hu.length);
  for (let i = 0; i < hu.length; i++) out[i] = round(clamp(hu[i], -1024, 3071)) + DEEPLESION_HU_OFFSET;
  return out;
}

function studyLook(series: Pick<SampleSeries, 'datasetSeed' | 'patientIndex' | 'studyIndex' | 'contrast'>): StudyLook {
  return { contrast: series.contrast, studySeed: hashSeed(series.datasetSeed, series.patientIndex, series.studyIndex, 77) };
}

/** Key slice ± 2 of every lesion of the series, clipped to the series, deduplicated, ascending. */
export function seriesSliceIndexes(series: SampleSeries): number[] {
  const slices = new Set<number>();
  for (const lesion of series.lesions) {
    for (let s = lesion.keySliceIndex - 2; s <= lesion.keySliceIndex + 2; s++) {
      if (s >= 1 && s <= series.sliceCount) slices.add(s);
    }
  }
  return [...slices].sort((a, b) => a - b);
}

/** The distinct series of the cases, in case order. */
export function listSampleSeries(cases: readonly SampleCase[]): SampleSeries[] {
  return [...new Set(cases.map((c) => c.series))];
}
