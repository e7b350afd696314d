import { nonMaximumSuppression } from './nms';

const box = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });

describe('non-maximum suppression', () => {
  it('keeps the best of overlapping boxes and every separate one, best first', () => {
    const items = [
      { box: box(0, 0, 10, 10), score: 0.5 },
      { box: box(1, 1, 11, 11), score: 0.9 }, // IoU with the first 81/119 = 0.68
      { box: box(50, 50, 60, 60), score: 0.7 },
      { box: box(5, 0, 15, 10), score: 0.6 }, // IoU with #1: 54/146 = 0.37; with #0: 50/150 = 0.33
    ];
    expect(nonMaximumSuppression(items, 0.5)).toEqual([1, 2, 3]);
    expect(nonMaximumSuppression(items, 0.3)).toEqual([1, 2]);
    expect(nonMaximumSuppression(items, 0.5, 2)).toEqual([1, 2]);
  });

  it('keeps boxes that only touch, and keeps input order among equal scores', () => {
    const items = [
      { box: box(0, 0, 10, 10), score: 1 },
      { box: box(10, 0, 20, 10), score: 1 },
    ];
    expect(nonMaximumSuppression(items, 0)).toEqual([0, 1]);
  });

  it('does not let a suppressed box suppress others (greedy, not transitive)', () => {
    const items = [
      { box: box(0, 0, 10, 10), score: 0.9 },
      { box: box(4, 0, 14, 10), score: 0.8 }, // overlaps #0 (IoU 0.43) → gone
      { box: box(8, 0, 18, 10), score: 0.7 }, // overlaps #1 but #0 only 2/18 = 0.11 → kept
    ];
    expect(nonMaximumSuppression(items, 0.3)).toEqual([0, 2]);
  });
});
