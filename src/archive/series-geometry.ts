/** One slice of a series as its header places it (a frame of a multi-frame file is a slice of its own). */
export interface SlicePlacement {
  /** Caller's handle (instance and frame). */
  key: string;
  position: [number, number, number] | null;
  /** Row then column direction cosines. */
  orientation: number[] | null;
  instanceNumber: number | null;
}

export type SeriesOrder =
  { ok: true; ordered: SlicePlacement[]; spacingZmm: number | null; orderedBy: 'position' | 'instance-number' } | { ok: false; reason: string };

const ORIENTATION_TOLERANCE = 1e-3;
/** Two slices closer than this along the normal are the same position. */
const DUPLICATE_MM = 1e-3;

/**
 * Orders a series' slices along the normal of Image Orientation (Patient) by Image Position (Patient),
 * with the z spacing as the median gap between neighbours (Slice Thickness says nothing about spacing).
 * Without positions on every slice, falls back to Instance Number (z spacing unknown). A series whose
 * slices disagree on orientation, or where two slices share a position, is refused with the reason.
 */
export function orderSeries(slices: SlicePlacement[]): SeriesOrder {
  if (slices.length === 0) return { ok: false, reason: 'no slices' };
  const placed = slices.every((s) => s.position && s.orientation && s.orientation.length === 6);
  if (!placed) {
    const ordered = [...slices].sort((a, b) => (a.instanceNumber ?? Infinity) - (b.instanceNumber ?? Infinity) || a.key.localeCompare(b.key));
    return { ok: true, ordered, spacingZmm: null, orderedBy: 'instance-number' };
  }
  const first = slices[0].orientation!;
  if (slices.some((s) => s.orientation!.some((v, i) => Math.abs(v - first[i]) > ORIENTATION_TOLERANCE))) {
    return { ok: false, reason: 'inconsistent Image Orientation (Patient) within the series' };
  }
  const normal = cross(first.slice(0, 3), first.slice(3, 6));
  if (Math.hypot(...normal) < 0.5) return { ok: false, reason: 'degenerate Image Orientation (Patient)' };
  const along = slices.map((s) => ({ slice: s, z: dot(s.position!, normal) })).sort((a, b) => a.z - b.z || a.slice.key.localeCompare(b.slice.key));
  const gaps: number[] = [];
  for (let i = 1; i < along.length; i++) {
    const gap = along[i].z - along[i - 1].z;
    if (gap < DUPLICATE_MM) return { ok: false, reason: `two slices share the position ${along[i].z.toFixed(3)} mm along the normal` };
    gaps.push(gap);
  }
  return { ok: true, ordered: along.map((a) => a.slice), spacingZmm: gaps.length ? median(gaps) : null, orderedBy: 'position' };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function cross(a: number[], b: number[]): [number, number, number] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function dot(a: number[], b: number[]): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/**
 * Slice indexes to write for the key slices: each key and up to `maxEachSide` neighbours each side, as far
 * as `reachMm` (the farthest slice offset the encoder or detector reads) needs at this spacing.
 */
export function slicesToWrite(keySlices: number[], sliceCount: number, spacingZmm: number | null, reachMm: number, maxEachSide: number): number[] {
  const side = spacingZmm && reachMm > 0 ? Math.min(maxEachSide, Math.ceil(reachMm / spacingZmm - 1e-9)) : 0;
  const wanted = new Set<number>();
  for (const key of keySlices) for (let i = Math.max(0, key - side); i <= Math.min(sliceCount - 1, key + side); i++) wanted.add(i);
  return [...wanted].sort((a, b) => a - b);
}
