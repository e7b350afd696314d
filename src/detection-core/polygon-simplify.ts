import { Point } from './contour-trace';

/**
 * Douglas–Peucker simplification of a closed polygon: keeps the vertices needed so that no dropped vertex
 * lies farther than `tolerance` (px) from the simplified outline. The closed ring is cut at its first vertex
 * and at the vertex farthest from it (both always kept), and each half is simplified as a polyline.
 */
export function simplifyClosedPolygon(points: readonly Point[], tolerance: number): Point[] {
  const n = points.length;
  if (n <= 3) return points.map((p) => ({ ...p }));
  let far = 0;
  let farD = -1;
  for (let i = 1; i < n; i++) {
    const d = (points[i].x - points[0].x) ** 2 + (points[i].y - points[0].y) ** 2;
    if (d > farD) {
      farD = d;
      far = i;
    }
  }
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[far] = 1;
  // Indexes run past n for the second half (wrapping back to vertex 0).
  const stack: [number, number][] = [
    [0, far],
    [far, n],
  ];
  const at = (i: number) => points[i % n];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    if (b - a < 2) continue;
    const pa = at(a);
    const pb = at(b);
    let worst = -1;
    let worstD = -1;
    for (let i = a + 1; i < b; i++) {
      const d = distanceToSegment(at(i), pa, pb);
      if (d > worstD) {
        worstD = d;
        worst = i;
      }
    }
    if (worstD > tolerance) {
      keep[worst % n] = 1;
      stack.push([a, worst], [worst, b]);
    }
  }
  return points.filter((_, i) => keep[i]).map((p) => ({ ...p }));
}

export function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.min(1, Math.max(0, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2)) : 0;
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}
