import { boxArea, centreInside, clipBox, intersectionOverUnion } from './box-math';

const box = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });

describe('box maths', () => {
  it('computes IoU of overlapping, nested, touching and disjoint boxes', () => {
    expect(intersectionOverUnion(box(0, 0, 10, 10), box(5, 0, 15, 10))).toBeCloseTo(50 / 150);
    expect(intersectionOverUnion(box(0, 0, 10, 10), box(2, 2, 7, 7))).toBeCloseTo(25 / 100);
    expect(intersectionOverUnion(box(0, 0, 10, 10), box(10, 0, 20, 10))).toBe(0);
    expect(intersectionOverUnion(box(0, 0, 10, 10), box(30, 30, 40, 40))).toBe(0);
    expect(intersectionOverUnion(box(0, 0, 10, 10), box(0, 0, 10, 10))).toBe(1);
  });

  it('tests the centre inside the true box, edges included', () => {
    expect(centreInside(box(0, 0, 20, 20), box(10, 10, 30, 30))).toBe(true);
    expect(centreInside(box(0, 0, 18, 18), box(10, 10, 30, 30))).toBe(false);
    expect(centreInside(box(100, 100, 120, 120), box(0, 0, 500, 500))).toBe(true);
  });

  it('clips to the image and measures areas', () => {
    expect(clipBox(box(-5, 3, 600, 40), 512, 512)).toEqual(box(0, 3, 512, 40));
    expect(boxArea(box(0, 0, 4, 5))).toBe(20);
    expect(boxArea(box(5, 5, 4, 4))).toBe(0);
  });
});
