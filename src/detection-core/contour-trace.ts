/** A point in pixel coordinates of the slice (pixel centres at integers). */
export interface Point {
  x: number;
  y: number;
}

/** Direction steps on the pixel-corner grid, clockwise on screen (y down): east, south, west, north. */
const STEPS: [number, number][] = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];

/**
 * The outer boundary of a 4-connected region (mask over w × h, 1 = inside) traced along pixel edges
 * ("crack" following), clockwise on screen, as the corners where it turns. Corners lie half a pixel
 * outside the boundary pixels' centres, so the polygon encloses exactly the region's pixels (holes aside)
 * and its extent is the region's pixel extent. Coordinates are the mask's own, offset by (`x0`, `y0`).
 * Starts at the region's first pixel in raster order; returns [] for an empty mask.
 */
export function traceContour(mask: Uint8Array, w: number, h: number, x0 = 0, y0 = 0): Point[] {
  let start = -1;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) {
      start = i;
      break;
    }
  }
  if (start < 0) return [];
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x] === 1;
  // The first pixel's top edge is on the outer boundary: walk east along it, the region on the right.
  const sx = start % w;
  const sy = (start / w) | 0;
  let vx = sx;
  let vy = sy;
  let dir = 0;
  const corners: Point[] = [];
  const limit = 4 * (w + 1) * (h + 1);
  for (let steps = 0; steps < limit; steps++) {
    const [dx, dy] = STEPS[dir];
    // Pixels ahead of vertex (vx, vy) on the right and on the left of the direction of travel.
    const aheadRight = inside(vx + aheadCol(dx, dy, 1), vy + aheadRow(dx, dy, 1));
    const aheadLeft = inside(vx + aheadCol(dx, dy, -1), vy + aheadRow(dx, dy, -1));
    // 4-connectivity: a region pixel touching the way only diagonally belongs to another component.
    let next = dir;
    if (!aheadRight) next = (dir + 1) % 4;
    else if (aheadLeft) next = (dir + 3) % 4;
    if (next !== dir || steps === 0) corners.push({ x: x0 + vx - 0.5, y: y0 + vy - 0.5 });
    dir = next;
    vx += STEPS[dir][0];
    vy += STEPS[dir][1];
    if (vx === sx && vy === sy) break;
  }
  return corners;
}

/**
 * Column/row offset from a corner vertex (the top-left corner of pixel (vx, vy)) of the pixel ahead of it
 * on one side (1 right, −1 left of the direction (dx, dy)): its centre is vertex + ½·direction + ½·side·(−dy, dx).
 */
function aheadCol(dx: number, dy: number, side: 1 | -1): number {
  return 0.5 * dx - 0.5 * side * dy - 0.5;
}

function aheadRow(dx: number, dy: number, side: 1 | -1): number {
  return 0.5 * dy + 0.5 * side * dx - 0.5;
}
