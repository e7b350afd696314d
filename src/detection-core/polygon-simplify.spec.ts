import { points } from './points.testing';
import { distanceToSegment, simplifyClosedPolygon } from './polygon-simplify';

describe('simplifyClosedPolygon', () => {
  it('drops collinear and near-collinear vertices within the tolerance', () => {
    const square = points([0, 0], [5, 0.2], [10, 0], [10, 10], [5, 10], [0, 10]);
    expect(simplifyClosedPolygon(square, 0.5)).toEqual(points([0, 0], [10, 0], [10, 10], [0, 10]));
  });

  it('keeps a vertex farther than the tolerance', () => {
    const notched = points([0, 0], [5, 2], [10, 0], [10, 10], [0, 10]);
    expect(simplifyClosedPolygon(notched, 1)).toHaveLength(5);
  });

  it('leaves no dropped vertex farther than the tolerance from the outline (staircase circle)', () => {
    const ring = Array.from({ length: 200 }, (_, i) => {
      const a = (2 * Math.PI * i) / 200;
      return { x: Math.round(30 * Math.cos(a)), y: Math.round(30 * Math.sin(a)) };
    });
    const simple = simplifyClosedPolygon(ring, 1);
    expect(simple.length).toBeLessThan(60);
    expect(simple.length).toBeGreaterThan(8);
    for (const p of ring) {
      const d = Math.min(...simple.map((a, i) => distanceToSegment(p, a, simple[(i + 1) % simple.length])));
      expect(d).toBeLessThanOrEqual(1 + 1e-9);
    }
  });

  it('measures the distance to a segment, clamped at its ends', () => {
    expect(distanceToSegment({ x: 5, y: 3 }, { x: 0, y: 0 }, { x: 10, y: 0 })).toBe(3);
    expect(distanceToSegment({ x: 13, y: 4 }, { x: 0, y: 0 }, { x: 10, y: 0 })).toBe(5);
  });
});
