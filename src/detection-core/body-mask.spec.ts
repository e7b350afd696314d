import { bodyMasks, chamferDistance, fillHoles, gaussianBlur, labelComponents } from './body-mask';

describe('body masks', () => {
  it('labels 4-connected parts and fills holes', () => {
    // 5×5 ring with a hole in the middle, plus a lone pixel touching diagonally
    const m = Uint8Array.from([1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const { sizes } = labelComponents(m, 5, 5);
    expect(sizes.slice(1).sort()).toEqual([1, 8]);
    expect(fillHoles(m, 5, 5)[6]).toBe(1);
    expect(fillHoles(m, 5, 5)[3]).toBe(0);
  });

  it('measures chamfer distances to the nearest zero (exact along rows, columns and diagonals)', () => {
    const m = new Uint8Array(7 * 7).fill(1);
    m[3 * 7 + 3] = 0;
    const d = chamferDistance(m, 7, 7);
    expect(d[3 * 7 + 3]).toBe(0);
    expect(d[0]).toBeCloseTo(Math.hypot(3, 3), 5);
    expect(d[3 * 7 + 6]).toBe(3);
    expect(d[1 * 7 + 6]).toBeCloseTo(Math.hypot(3, 2), 0);
    expect(chamferDistance(new Uint8Array(4).fill(1), 2, 2)[0]).toBe(Infinity);
  });

  it('keeps a blur of a constant image constant', () => {
    const img = new Float32Array(20 * 10).fill(7);
    expect(Array.from(gaussianBlur(img, 20, 10, 2)).every((v) => Math.abs(v - 7) < 1e-4)).toBe(true);
  });

  it('finds the body (largest part above −500 HU, holes filled) and the lungs inside it', () => {
    const n = 128;
    const hu = new Float32Array(n * n).fill(-1000);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        if (Math.hypot(x - 64, y - 64) < 55) hu[y * n + x] = 30;
        if (Math.hypot(x - 40, y - 64) < 14 || Math.hypot(x - 88, y - 64) < 14) hu[y * n + x] = -850;
      }
    }
    hu[5 * n + 5] = 100; // speck outside
    const masks = bodyMasks(hu, n, n);
    expect(masks.body[5 * n + 5]).toBe(0);
    expect(masks.body[64 * n + 40]).toBe(1); // lung is inside the body
    expect(masks.bodyArea).toBeGreaterThan(Math.PI * 54 * 54 * 0.95);
    expect(masks.lung[64 * n + 40]).toBe(1);
    expect(masks.lung[64 * n + 64]).toBe(0);
    expect(masks.distanceToOutside[64 * n + 64]).toBeGreaterThan(50);
  });
});
