import { bodyMasks } from './body-mask';
import { intersectionOverUnion } from './box-math';
import { PointOutsideBodyError, pointToBox, POINT_BOX_MARGIN_PX, regionAxes } from './point-to-box';

/** A 256² slice: air outside a body disc of soft tissue (40 HU) holding blobs. */
function phantom(blobs: { cx: number; cy: number; rx: number; ry: number; hu: number }[]): Float32Array {
  const n = 256;
  const hu = new Float32Array(n * n).fill(-1000);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (Math.hypot(x - 128, y - 128) < 115) hu[y * n + x] = 40 + (((x * 7 + y * 13) % 11) - 5); // a little texture
      for (const b of blobs) if (((x - b.cx) / b.rx) ** 2 + ((y - b.cy) / b.ry) ** 2 <= 1) hu[y * n + x] = b.hu;
    }
  }
  return hu;
}

describe('point to box', () => {
  it.each([
    { rx: 6, ry: 6, hu: -20, name: 'small hypodense disc' },
    { rx: 15, ry: 15, hu: 130, name: 'bright disc' },
    { rx: 22, ry: 12, hu: -30, name: 'elongated cyst' },
  ])('returns the box of a $name of known size', ({ rx, ry, hu }) => {
    const img = phantom([{ cx: 120, cy: 110, rx, ry, hu }]);
    const masks = bodyMasks(img, 256, 256);
    const r = pointToBox(img, 256, 256, masks, 120, 110);
    const m = POINT_BOX_MARGIN_PX;
    const truth = { x1: 120 - rx - 0.5 - m, y1: 110 - ry - 0.5 - m, x2: 120 + rx + 0.5 + m, y2: 110 + ry + 0.5 + m };
    expect(r.method).toBe('region');
    expect(intersectionOverUnion(r.box, truth)).toBeGreaterThan(0.75);
    expect(r.longAxisPx).toBeGreaterThan(2 * Math.max(rx, ry) - 1);
    expect(r.longAxisPx).toBeLessThan(2 * Math.max(rx, ry) + 3);
    expect(r.shortAxisPx).toBeGreaterThan(2 * Math.min(rx, ry) - 1);
    expect(r.shortAxisPx).toBeLessThan(2 * Math.min(rx, ry) + 3);
    expect(r.polarity).toBe(hu > 40 ? 1 : -1);
  });

  it('outlines a tilted ellipse: the contour encloses it, RECIST axes on the contour match its diameters, the box is the contour bounds', () => {
    // An ellipse of semi-axes 20 and 9 px turned 30°.
    const n = 256;
    const hu = phantom([]);
    const c = Math.cos(Math.PI / 6),
      s = Math.sin(Math.PI / 6);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const u = (x - 120) * c + (y - 120) * s;
        const v = -(x - 120) * s + (y - 120) * c;
        if ((u / 20) ** 2 + (v / 9) ** 2 <= 1) hu[y * n + x] = -30;
      }
    }
    const r = pointToBox(hu, n, n, bodyMasks(hu, n, n), 120, 120);
    expect(r.method).toBe('region');
    expect(r.contour.length).toBeGreaterThan(8);
    expect(r.contour.length).toBeLessThan(80);
    // Shoelace area of the outline ≈ the region's pixel count (simplification moves the edge by < 1 px).
    let area = 0;
    r.contour.forEach((p, i) => {
      const q = r.contour[(i + 1) % r.contour.length];
      area += p.x * q.y - q.x * p.y;
    });
    expect(Math.abs(area / 2 - r.areaPx) / r.areaPx).toBeLessThan(0.08);
    expect(r.recist.long.lengthPx).toBeGreaterThan(39);
    expect(r.recist.long.lengthPx).toBeLessThan(42.5);
    expect(r.recist.short.lengthPx).toBeGreaterThan(17);
    expect(r.recist.short.lengthPx).toBeLessThan(20.5);
    const angle = Math.atan2(r.recist.long.to.y - r.recist.long.from.y, r.recist.long.to.x - r.recist.long.from.x);
    expect(Math.abs(Math.sin(angle - Math.PI / 6))).toBeLessThan(0.1);
    const m = POINT_BOX_MARGIN_PX;
    expect(r.box.x1).toBeCloseTo(Math.min(...r.contour.map((p) => p.x)) - m, 0);
    expect(r.box.y2).toBeCloseTo(Math.max(...r.contour.map((p) => p.y)) + m, 0);
  });

  it('finds the lesion from an off-centre click inside it', () => {
    const img = phantom([{ cx: 100, cy: 140, rx: 14, ry: 14, hu: -40 }]);
    const r = pointToBox(img, 256, 256, bodyMasks(img, 256, 256), 104, 137);
    expect(intersectionOverUnion(r.box, { x1: 82.5, y1: 122.5, x2: 117.5, y2: 157.5 })).toBeGreaterThan(0.7);
  });

  it('refuses a point outside the body', () => {
    const img = phantom([]);
    expect(() => pointToBox(img, 256, 256, bodyMasks(img, 256, 256), 3, 3)).toThrow(PointOutsideBodyError);
  });

  it('measures a region: long axis end to end, short axis across it', () => {
    const pts: number[] = [];
    for (let y = -6; y <= 6; y++) for (let x = -20; x <= 20; x++) if ((x / 20) ** 2 + (y / 6) ** 2 <= 1) pts.push(x + 30, y + 30);
    const axes = regionAxes(pts);
    expect(axes.long).toBeCloseTo(41, 5);
    expect(axes.short).toBeCloseTo(13, 5);
  });
});
