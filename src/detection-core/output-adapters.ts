import { ScoredBox } from './nms';

/** A raw model output: flat data plus its dims. */
export interface RawTensor {
  data: Float32Array;
  dims: readonly number[];
}

export class DetectorOutputError extends Error {}

/**
 * `boxes` [N, 4] or [1, N, 4] (x1, y1, x2, y2) and `scores` [N] or [1, N] or [N, 1] → boxes in model
 * input pixels, scored. Boxes with x2 ≤ x1 or y2 ≤ y1 or a non-finite value are dropped.
 */
export function decodeBoxesScores(boxes: RawTensor, scores: RawTensor): ScoredBox[] {
  const n = scores.data.length;
  if (boxes.dims[boxes.dims.length - 1] !== 4 || boxes.data.length !== n * 4) {
    throw new DetectorOutputError(`boxes must be [N, 4] with N = ${n} scores; got [${boxes.dims.join(', ')}]`);
  }
  const out: ScoredBox[] = [];
  for (let i = 0; i < n; i++) {
    const [x1, y1, x2, y2] = boxes.data.subarray(i * 4, i * 4 + 4);
    const score = scores.data[i];
    if (!(x2 > x1 && y2 > y1) || ![x1, y1, x2, y2, score].every(Number.isFinite)) continue;
    out.push({ box: { x1, y1, x2, y2 }, score });
  }
  return out;
}

/**
 * The YOLO (v8 and later) export layout [1, 4 + classes, anchors]: rows cx, cy, w, h in input pixels,
 * then one score per class (already sigmoid-ed). Each anchor becomes one box scored by its best class.
 * A transposed [1, anchors, 4 + classes] tensor is read too when its shape says so unambiguously.
 */
export function decodeYolo(predictions: RawTensor, classes: number, minScore = 0): (ScoredBox & { classIndex: number })[] {
  const dims = predictions.dims;
  const rows = 4 + classes;
  if (dims.length !== 3 || dims[0] !== 1 || (dims[1] !== rows && dims[2] !== rows)) {
    throw new DetectorOutputError(`YOLO output must be [1, ${rows}, anchors] (4 box rows + ${classes} classes); got [${dims.join(', ')}]`);
  }
  const transposed = dims[1] !== rows;
  const anchors = transposed ? dims[1] : dims[2];
  const d = predictions.data;
  const at = transposed ? (row: number, a: number) => d[a * rows + row] : (row: number, a: number) => d[row * anchors + a];
  const out: (ScoredBox & { classIndex: number })[] = [];
  for (let a = 0; a < anchors; a++) {
    let best = -Infinity;
    let classIndex = 0;
    for (let c = 0; c < classes; c++) {
      const s = at(4 + c, a);
      if (s > best) {
        best = s;
        classIndex = c;
      }
    }
    if (!(best >= minScore)) continue;
    const cx = at(0, a);
    const cy = at(1, a);
    const w = at(2, a);
    const h = at(3, a);
    if (!(w > 0 && h > 0) || ![cx, cy, w, h].every(Number.isFinite)) continue;
    out.push({ box: { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 }, score: best, classIndex });
  }
  return out;
}
