import { froc, frocLesionHits } from './froc';

const box = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });

// Two images, three lesions. Ranked detections (score):
//  0.9 img0 hits A (TP) | 0.8 img1 FP | 0.7 img1 hits C (TP) | 0.6 img0 FP | 0.5 img0 FP | 0.4 img0 hits B (TP)
const A = box(10, 10, 30, 30);
const B = box(100, 100, 140, 140);
const C = box(200, 200, 220, 220);
const images = [
  {
    truths: [A, B],
    detections: [
      { box: box(11, 11, 29, 31), score: 0.9 },
      { box: box(300, 300, 320, 320), score: 0.6 },
      { box: box(400, 0, 420, 20), score: 0.5 },
      { box: box(110, 110, 125, 125), score: 0.4 }, // centre inside B, IoU 225/1600 = 0.14
    ],
  },
  {
    truths: [C],
    detections: [
      { box: box(0, 400, 20, 420), score: 0.8 },
      { box: box(201, 199, 221, 219), score: 0.7 },
    ],
  },
];

describe('FROC (DeepLesion convention)', () => {
  it('counts hits by centre inside the box: FP per image after each rank', () => {
    // cumulative FPs/image: 0, 0.5, 0.5, 1, 1.5, 1.5
    const r = froc(images, 'centre', [0, 0.5, 1, 1.5]);
    // t=0: ranks before the first FP (rank 1): A → 1/3; t=0.5: ranks < 3 (FP at rank 3 gives 1): A, C → 2/3
    // t=1: ranks < 4: A, C → 2/3; t=1.5: all ranks: A, B, C → 1
    expect(r.sensitivities).toEqual([1 / 3, 2 / 3, 2 / 3, 1]);
    expect(r.thresholds).toEqual([0.9, 0.7, 0.6, 0.4]);
    expect(r.recall).toBe(1);
    expect(r).toMatchObject({ images: 2, lesions: 3, detections: 6 });
  });

  it('counts hits by IoU ≥ 0.5: the small box inside B is a false positive then', () => {
    const r = froc(images, 'iou', [0.5, 2]);
    expect(r.sensitivities).toEqual([2 / 3, 2 / 3]);
    expect(r.recall).toBeCloseTo(2 / 3);
  });

  it('a detection hitting two lesions counts for both and is never a false positive', () => {
    const r = froc([{ truths: [box(0, 0, 10, 10), box(2, 2, 12, 12)], detections: [{ box: box(4, 4, 8, 8), score: 1 }] }], 'centre', [0]);
    expect(r.sensitivities).toEqual([1]);
  });

  it('an empty set gives zeros, not NaN', () => {
    expect(froc([], 'iou').sensitivities.every((v) => v === 0)).toBe(true);
  });
});

describe('frocLesionHits', () => {
  it('marks each true box hit or not at each rate, agreeing with froc sensitivities', () => {
    const rates = [0.5, 1, 2];
    // Centre inside (the fixture of the FROC tests above): 0.5 FP/image = 1 FP: A and C (B comes after the
    // 2nd and 3rd FP); 1 FP/image = 2 FPs: still A, C; 2 = 4 FPs: all. By IoU, B is never hit.
    const hits = { centre: frocLesionHits(images, 'centre', rates), iou: frocLesionHits(images, 'iou', rates) };
    expect(hits.centre).toEqual([
      [true, false, true],
      [true, false, true],
      [true, true, true],
    ]);
    expect(hits.iou).toEqual([
      [true, false, true],
      [true, false, true],
      [true, false, true],
    ]);
    for (const criterion of ['centre', 'iou'] as const) {
      const sens = froc(images, criterion, rates).sensitivities;
      hits[criterion].forEach((h, i) => expect(h.filter(Boolean).length / h.length).toBeCloseTo(sens[i], 9));
    }
  });
});
