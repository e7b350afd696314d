import { points } from './points.testing';
import { recistAxes, segmentsCross } from './recist-axes';

function ellipse(cx: number, cy: number, a: number, b: number, angle: number, n = 180) {
  return Array.from({ length: n }, (_, i) => {
    const t = (2 * Math.PI * i) / n;
    const x = a * Math.cos(t);
    const y = b * Math.sin(t);
    return { x: cx + x * Math.cos(angle) - y * Math.sin(angle), y: cy + x * Math.sin(angle) + y * Math.cos(angle) };
  });
}

const angleOf = (axis: { from: { x: number; y: number }; to: { x: number; y: number } }) => Math.atan2(axis.to.y - axis.from.y, axis.to.x - axis.from.x);

describe('recistAxes', () => {
  it.each([0, 0.5, 1.2])('measures a tilted ellipse (angle %p): long = major axis, short = minor axis, perpendicular', (angle) => {
    const { long, short } = recistAxes(ellipse(50, 60, 20, 8, angle));
    expect(long.lengthPx).toBeCloseTo(40, 1);
    expect(short.lengthPx).toBeGreaterThan(15.8);
    expect(short.lengthPx).toBeLessThan(16.3);
    const between = Math.abs(Math.cos(angleOf(long) - angleOf(short)));
    expect(between).toBeLessThan(Math.sin((5 * Math.PI) / 180) + 1e-9);
    expect(segmentsCross(long.from, long.to, short.from, short.to)).toBe(true);
  });

  it('keeps the short axis inside a concave outline (a U shape is not measured across its opening)', () => {
    // Two 60 × 4 arms joined on the left by a 4 × 30 bar; across the opening a perpendicular chord would be about 33 px.
    const u = points([0, 0], [60, 0], [60, 4], [4, 4], [4, 26], [60, 26], [60, 30], [0, 30]);
    const { long, short } = recistAxes(u);
    expect(long.lengthPx).toBeCloseTo(Math.hypot(60, 30), 6);
    expect(short.lengthPx).toBeGreaterThan(8);
    expect(short.lengthPx).toBeLessThan(16);
  });

  it('gives a square its diagonal as the long axis and the other diagonal as the short one', () => {
    const { long, short } = recistAxes(points([0, 0], [10, 0], [10, 10], [0, 10]));
    expect(long.lengthPx).toBeCloseTo(Math.SQRT2 * 10, 6);
    expect(short.lengthPx).toBeGreaterThan(Math.SQRT2 * 10 - 0.3);
    expect(short.lengthPx).toBeLessThanOrEqual(Math.SQRT2 * 10 + 1e-9);
  });

  it('returns zero-length axes for a degenerate outline', () => {
    expect(recistAxes([]).long.lengthPx).toBe(0);
    expect(recistAxes([{ x: 1, y: 2 }]).short.lengthPx).toBe(0);
  });
});
