import { Box } from '../imaging/hu-image';
import { discRingStats } from './blob-candidates';
import { BodyMasks, componentAt, gaussianBlur } from './body-mask';
import { Point, traceContour } from './contour-trace';
import { simplifyClosedPolygon } from './polygon-simplify';
import { Axis, recistAxes } from './recist-axes';

/**
 * Point to box, without weights: from a point the reader clicked inside a lesion, fit the blob scale
 * that best separates a disc around the point from its ring (contrast over spread, over radii 2–90 px),
 * threshold the lightly smoothed slice at the disc/ring midpoint, keep the connected region under the
 * point (within 2.5 radii) and return its bounding box, with the long axis (largest extent) and the
 * short axis (largest extent perpendicular to it), and its outline: the region's boundary traced along
 * pixel edges and simplified, with RECIST diameters drawn on it (recist-axes.ts).
 */
export interface PointToBoxResult {
  box: Box;
  /** How the box was found: the thresholded region, or the fitted disc when the region leaked or vanished. */
  method: 'region' | 'disc';
  polarity: 1 | -1;
  radiusPx: number;
  contrastHu: number;
  areaPx: number;
  longAxisPx: number;
  shortAxisPx: number;
  /** The region as a mask over `regionBox` (integer pixel box), for overlays. */
  regionBox: Box;
  /** The region's outline (pixel edges, simplified), clockwise on screen, in slice pixels; a 16-gon for the disc. */
  contour: Point[];
  /** RECIST diameters measured on `contour`: the longest chord, and the longest inside chord perpendicular to it (±5°). */
  recist: { long: Axis; short: Axis };
}

export class PointOutsideBodyError extends Error {}

/** HU clip for the fit: air and dense bone stop dominating means and spreads. */
const FIT_WINDOW: [number, number] = [-1000, 400];
export const MAX_RADIUS_PX = 45;
const RADII = Array.from({ length: 27 }, (_, i) => 2 * 2 ** (i / 4.8)).filter((r) => r <= MAX_RADIUS_PX);
/** DeepLesion boxes sit a few pixels outside the lesion edge (chosen on the 51 real sample lesions: 1 → 27, 3 → 39 of 51 at IoU ≥ 0.5). */
export const POINT_BOX_MARGIN_PX = 3;
/** Douglas–Peucker tolerance of the outline (px): removes the pixel staircase, keeps the shape. */
export const CONTOUR_TOLERANCE_PX = 0.75;

export function pointToBox(
  hu: Float32Array,
  width: number,
  height: number,
  masks: BodyMasks,
  px: number,
  py: number,
  smoothedFit?: Float32Array,
): PointToBoxResult {
  const xi = Math.min(width - 1, Math.max(0, Math.round(px)));
  const yi = Math.min(height - 1, Math.max(0, Math.round(py)));
  if (!masks.body[yi * width + xi]) throw new PointOutsideBodyError('the point is outside the body');
  const fit = smoothedFit ?? fitImage(hu, width, height);
  // Blob scale: the radius whose disc differs most from its ring, relative to their spread.
  let best = { score: -Infinity, r: RADII[0], mi: 0, mr: 0 };
  for (const r of RADII) {
    const st = discRingStats(fit, width, height, px, py, Math.max(0.8 * r, 1), 1.3 * r, 2 * r + 2, undefined, masks.body);
    if (st.ringCount < 8) continue;
    const score = Math.abs(st.discMean - st.ringMean) / (0.5 * (st.discStd + st.ringStd) + 10);
    if (score > best.score) best = { score, r, mi: st.discMean, mr: st.ringMean };
  }
  const polarity: 1 | -1 = best.mi >= best.mr ? 1 : -1;
  const r = best.r;
  const R = 2.5 * r + 2;
  const x0 = Math.max(0, Math.floor(px - R));
  const x1 = Math.min(width - 1, Math.ceil(px + R));
  const y0 = Math.max(0, Math.floor(py - R));
  const y1 = Math.min(height - 1, Math.ceil(py + R));
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const mid = 0.5 * (best.mi + best.mr);
  const mask = new Uint8Array(w * h);
  let seed = -1;
  let seedD = Infinity;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const d = Math.hypot(x - px, y - py);
      if (d <= R && masks.body[y * width + x] && polarity * (fit[y * width + x] - mid) > 0) {
        const k = (y - y0) * w + (x - x0);
        mask[k] = 1;
        if (d < seedD && d <= Math.max(0.5 * r, 1.5)) {
          seed = k;
          seedD = d;
        }
      }
    }
  }
  const disc = (): PointToBoxResult => {
    const half = r;
    const contour = Array.from({ length: 16 }, (_, i) => ({ x: px + r * Math.cos((i * Math.PI) / 8), y: py + r * Math.sin((i * Math.PI) / 8) }));
    return {
      box: { x1: px - half, y1: py - half, x2: px + half, y2: py + half },
      method: 'disc',
      polarity,
      radiusPx: r,
      contrastHu: Math.abs(best.mi - best.mr),
      areaPx: Math.PI * r * r,
      longAxisPx: 2 * r,
      shortAxisPx: 2 * r,
      regionBox: { x1: Math.floor(px - half), y1: Math.floor(py - half), x2: Math.ceil(px + half), y2: Math.ceil(py + half) },
      contour,
      recist: recistAxes(contour),
    };
  };
  if (seed < 0) return disc();
  const region = componentAt(mask, w, h, seed);
  const pts: number[] = [];
  let minX = Infinity,
    minY = Infinity,
    maxX = -1,
    maxY = -1;
  for (let k = 0; k < region.length; k++) {
    if (!region[k]) continue;
    const x = k % w,
      y = (k / w) | 0;
    pts.push(x, y);
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const area = pts.length / 2;
  if (area < 0.2 * Math.PI * r * r || area > 0.8 * Math.PI * R * R) return disc();
  const axes = regionAxes(pts);
  const traced = traceContour(region, w, h, x0, y0);
  const contour = simplifyClosedPolygon(traced, CONTOUR_TOLERANCE_PX);
  return {
    // From the full trace: simplification may cut a corner by up to its tolerance.
    box: boxOfContour(traced, POINT_BOX_MARGIN_PX),
    method: 'region',
    polarity,
    radiusPx: r,
    contrastHu: Math.abs(best.mi - best.mr),
    areaPx: area,
    longAxisPx: axes.long,
    shortAxisPx: axes.short,
    regionBox: { x1: x0 + minX, y1: y0 + minY, x2: x0 + maxX + 1, y2: y0 + maxY + 1 },
    contour,
    recist: recistAxes(contour),
  };
}

/** The bounds of an outline widened by `margin` px on every side (the outline's corners are pixel edges). */
export function boxOfContour(contour: readonly Point[], margin: number): Box {
  const xs = contour.map((p) => p.x);
  const ys = contour.map((p) => p.y);
  return { x1: Math.min(...xs) - margin, y1: Math.min(...ys) - margin, x2: Math.max(...xs) + margin, y2: Math.max(...ys) + margin };
}

/** The slice as the fit sees it: clipped to −1000..400 HU and smoothed with σ 1. */
export function fitImage(hu: Float32Array, width: number, height: number): Float32Array {
  const clipped = new Float32Array(hu.length);
  for (let i = 0; i < hu.length; i++) clipped[i] = hu[i] < FIT_WINDOW[0] ? FIT_WINDOW[0] : hu[i] > FIT_WINDOW[1] ? FIT_WINDOW[1] : hu[i];
  return gaussianBlur(clipped, width, height, 1);
}

/**
 * RECIST-style axes of a pixel region given as flat [x0, y0, x1, y1, …]: the long axis is the largest
 * distance between two region pixels (+1 px for pixel extent), the short axis the largest extent
 * perpendicular to it.
 */
export function regionAxes(pts: number[]): { long: number; short: number; angle: number } {
  const n = pts.length / 2;
  if (n === 0) return { long: 0, short: 0, angle: 0 };
  // Extreme points of the hull are on the boundary: test pairs among boundary-ish pixels only.
  const hull = convexHull(pts);
  let long = 0;
  let ax = 1,
    ay = 0;
  for (let i = 0; i < hull.length; i++) {
    for (let j = i + 1; j < hull.length; j++) {
      const dx = hull[j][0] - hull[i][0],
        dy = hull[j][1] - hull[i][1];
      const d = Math.hypot(dx, dy);
      if (d > long) {
        long = d;
        ax = dx / d;
        ay = dy / d;
      }
    }
  }
  let lo = Infinity,
    hi = -Infinity;
  for (const [x, y] of hull) {
    const t = -ay * x + ax * y;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return { long: long + 1, short: hi - lo + 1, angle: Math.atan2(ay, ax) };
}

function convexHull(pts: number[]): [number, number][] {
  const p: [number, number][] = [];
  for (let i = 0; i < pts.length; i += 2) p.push([pts[i], pts[i + 1]]);
  p.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length <= 2) return p;
  const cross = (o: number[], a: number[], b: number[]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: [number, number][] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p[i]) <= 0) upper.pop();
    upper.push(p[i]);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}
