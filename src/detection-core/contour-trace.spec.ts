import { traceContour } from './contour-trace';

function maskOf(rows: string[]): { mask: Uint8Array; w: number; h: number } {
  const h = rows.length;
  const w = rows[0].length;
  const mask = new Uint8Array(w * h);
  rows.forEach((row, y) => [...row].forEach((c, x) => (mask[y * w + x] = c === '#' ? 1 : 0)));
  return { mask, w, h };
}

/** Shoelace area (positive for clockwise on screen, y down). */
function area(points: { x: number; y: number }[]): number {
  let s = 0;
  points.forEach((p, i) => {
    const q = points[(i + 1) % points.length];
    s += p.x * q.y - q.x * p.y;
  });
  return s / 2;
}

describe('traceContour', () => {
  it('traces one pixel as its four corners, clockwise on screen', () => {
    const { mask, w, h } = maskOf(['...', '.#.', '...']);
    expect(traceContour(mask, w, h)).toEqual([
      { x: 0.5, y: 0.5 },
      { x: 1.5, y: 0.5 },
      { x: 1.5, y: 1.5 },
      { x: 0.5, y: 1.5 },
    ]);
  });

  it('encloses exactly the pixels of an L shape and offsets by the mask origin', () => {
    const { mask, w, h } = maskOf(['#...', '#...', '###.']);
    const contour = traceContour(mask, w, h, 10, 20);
    expect(contour).toHaveLength(6);
    expect(area(contour)).toBeCloseTo(5, 9);
    expect(Math.min(...contour.map((p) => p.x))).toBe(9.5);
    expect(Math.max(...contour.map((p) => p.x))).toBe(12.5);
    expect(Math.max(...contour.map((p) => p.y))).toBe(22.5);
  });

  it('follows only the outer boundary of a ring (the hole is not traced)', () => {
    const { mask, w, h } = maskOf(['#####', '#...#', '#...#', '#####']);
    const contour = traceContour(mask, w, h);
    expect(contour).toHaveLength(4);
    expect(area(contour)).toBeCloseTo(20, 9);
  });

  it('does not cross to a pixel touching only diagonally (4-connected regions)', () => {
    const { mask, w, h } = maskOf(['##..', '##..', '..##', '..##']);
    expect(area(traceContour(mask, w, h))).toBeCloseTo(4, 9);
  });

  it('returns no points for an empty mask', () => {
    expect(traceContour(new Uint8Array(9), 3, 3)).toEqual([]);
  });
});
