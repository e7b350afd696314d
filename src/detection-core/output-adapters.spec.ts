import { decodeBoxesScores, decodeYolo, DetectorOutputError } from './output-adapters';

describe('detector output adapters', () => {
  it('reads boxes [N, 4] + scores [N] and drops degenerate boxes', () => {
    const boxes = { data: Float32Array.from([10, 20, 30, 60, 5, 5, 5, 9, 100, 100, 140, 120]), dims: [3, 4] };
    const scores = { data: Float32Array.from([0.9, 0.8, 0.3]), dims: [3] };
    expect(decodeBoxesScores(boxes, scores)).toEqual([
      { box: { x1: 10, y1: 20, x2: 30, y2: 60 }, score: expect.closeTo(0.9, 5) },
      { box: { x1: 100, y1: 100, x2: 140, y2: 120 }, score: expect.closeTo(0.3, 5) },
    ]);
  });

  it('accepts a batch axis ([1, N, 4] and [1, N]) and refuses mismatched shapes', () => {
    const boxes = { data: Float32Array.from([1, 2, 3, 4]), dims: [1, 1, 4] };
    expect(decodeBoxesScores(boxes, { data: Float32Array.from([0.5]), dims: [1, 1] })).toHaveLength(1);
    expect(() => decodeBoxesScores({ data: new Float32Array(6), dims: [2, 3] }, { data: new Float32Array(2), dims: [2] })).toThrow(DetectorOutputError);
  });

  it('decodes the YOLO layout [1, 4 + classes, anchors] (cx, cy, w, h) with the best class', () => {
    // 3 anchors, 2 classes: one row per value, one column per anchor.
    const rows = { cx: [50, 200, 10], cy: [60, 100, 10], w: [20, 40, 4], h: [10, 30, 4], class0: [0.1, 0.7, 0.01], class1: [0.8, 0.2, 0.02] };
    const t = { data: Float32Array.from(Object.values(rows).flat()), dims: [1, 6, 3] };
    const out = decodeYolo(t, 2, 0.05);
    expect(out).toHaveLength(2);
    expect(out[0]).toEqual({ box: { x1: 40, y1: 55, x2: 60, y2: 65 }, score: expect.closeTo(0.8, 5), classIndex: 1 });
    expect(out[1]).toEqual({ box: { x1: 180, y1: 85, x2: 220, y2: 115 }, score: expect.closeTo(0.7, 5), classIndex: 0 });
  });

  it('reads a transposed YOLO tensor [1, anchors, 4 + classes] the same way', () => {
    const anchorsFirst = { data: Float32Array.from([50, 60, 20, 10, 0.1, 0.8, 200, 100, 40, 30, 0.7, 0.2]), dims: [1, 2, 6] };
    const out = decodeYolo(anchorsFirst, 2);
    expect(out.map((o) => [o.box, o.classIndex])).toEqual([
      [{ x1: 40, y1: 55, x2: 60, y2: 65 }, 1],
      [{ x1: 180, y1: 85, x2: 220, y2: 115 }, 0],
    ]);
  });

  it('refuses a YOLO tensor whose rows do not match the classes', () => {
    expect(() => decodeYolo({ data: new Float32Array(18), dims: [1, 6, 3] }, 3)).toThrow(/4 box rows \+ 3 classes/);
  });
});
