import { Point } from './contour-trace';

export interface Axis {
  from: Point;
  to: Point;
  lengthPx: number;
}

export interface RecistAxes {
  long: Axis;
  short: Axis;
}

/** How far from perpendicular to the long axis the short axis may turn (radians): a reader's drawn right angle. */
export const SHORT_AXIS_TOLERANCE_RAD = (5 * Math.PI) / 180;
const ANGLE_STEPS = 10;
/** Spacing (px) of the parallel lines swept across the outline for the short axis. */
const SWEEP_STEP_PX = 0.25;

/**
 * RECIST diameters of a closed polygon, as a radiologist draws them: the long axis is the longest chord
 * between two vertices; the short axis is the longest segment lying inside the polygon, crossing the long
 * axis, in a direction within `tolerance` of perpendicular to it (lines swept every ¼ px at 21 angles).
 * Fewer than 2 vertices give zero-length axes.
 */
export function recistAxes(polygon: readonly Point[], tolerance = SHORT_AXIS_TOLERANCE_RAD): RecistAxes {
  const n = polygon.length;
  const zero = (p: Point | undefined): Axis => ({ from: { ...(p ?? { x: 0, y: 0 }) }, to: { ...(p ?? { x: 0, y: 0 }) }, lengthPx: 0 });
  if (n < 2) return { long: zero(polygon[0]), short: zero(polygon[0]) };
  let best = 0;
  let ia = 0;
  let ib = 1;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = (polygon[i].x - polygon[j].x) ** 2 + (polygon[i].y - polygon[j].y) ** 2;
      if (d > best) {
        best = d;
        ia = i;
        ib = j;
      }
    }
  }
  const a = polygon[ia];
  const b = polygon[ib];
  const long: Axis = { from: { ...a }, to: { ...b }, lengthPx: Math.sqrt(best) };
  if (n < 3) return { long, short: zero(midpoint(a, b)) };
  const theta = Math.atan2(b.y - a.y, b.x - a.x) + Math.PI / 2;
  let short: Axis = zero(midpoint(a, b));
  for (let k = -ANGLE_STEPS; k <= ANGLE_STEPS; k++) {
    const phi = theta + (k / ANGLE_STEPS) * tolerance;
    const chord = longestInteriorChord(polygon, Math.cos(phi), Math.sin(phi), a, b);
    if (chord && chord.lengthPx > short.lengthPx) short = chord;
  }
  return { long, short };
}

/** The longest segment inside the polygon along lines of direction (ux, uy) that crosses segment a–b. */
function longestInteriorChord(polygon: readonly Point[], ux: number, uy: number, a: Point, b: Point): Axis | null {
  // Lines p = o + t·u, with offset s along the normal (−uy, ux).
  const nx = -uy;
  const ny = ux;
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of polygon) {
    const s = p.x * nx + p.y * ny;
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  }
  let best: Axis | null = null;
  const n = polygon.length;
  for (let s = lo + SWEEP_STEP_PX / 2; s < hi; s += SWEEP_STEP_PX) {
    const ts: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = polygon[i];
      const q = polygon[(i + 1) % n];
      const sp = p.x * nx + p.y * ny - s;
      const sq = q.x * nx + q.y * ny - s;
      // Half-open crossing test, so a line through a vertex counts it once.
      if (sp < 0 === sq < 0) continue;
      const f = sp / (sp - sq);
      ts.push((p.x + f * (q.x - p.x)) * ux + (p.y + f * (q.y - p.y)) * uy);
    }
    ts.sort((x, y) => x - y);
    for (let i = 0; i + 1 < ts.length; i += 2) {
      const length = ts[i + 1] - ts[i];
      if (best && length <= best.lengthPx) continue;
      const from = { x: s * nx + ts[i] * ux, y: s * ny + ts[i] * uy };
      const to = { x: s * nx + ts[i + 1] * ux, y: s * ny + ts[i + 1] * uy };
      if (segmentsCross(from, to, a, b)) best = { from, to, lengthPx: length };
    }
  }
  return best;
}

function midpoint(a: Point, b: Point): Point {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

/** Whether segments p–q and a–b share a point (touching counts). */
export function segmentsCross(p: Point, q: Point, a: Point, b: Point): boolean {
  const side = (o: Point, u: Point, v: Point) => (u.x - o.x) * (v.y - o.y) - (u.y - o.y) * (v.x - o.x);
  const d1 = side(a, b, p);
  const d2 = side(a, b, q);
  const d3 = side(p, q, a);
  const d4 = side(p, q, b);
  const eps = 1e-9;
  return d1 * d2 <= eps && d3 * d4 <= eps;
}
