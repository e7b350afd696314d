import { Box } from '../imaging/hu-image';
import { intersectionOverUnion } from './box-math';

export interface ScoredBox {
  box: Box;
  score: number;
}

/**
 * Greedy non-maximum suppression: best score first (ties keep input order), dropping every later box
 * whose IoU with a kept one exceeds `iouThreshold`; at most `maxKeep` boxes. Returns the kept indexes.
 */
export function nonMaximumSuppression(items: readonly ScoredBox[], iouThreshold: number, maxKeep = Infinity): number[] {
  const order = items.map((_, i) => i).sort((a, b) => items[b].score - items[a].score || a - b);
  const kept: number[] = [];
  const suppressed = new Uint8Array(items.length);
  for (const i of order) {
    if (kept.length >= maxKeep) break;
    if (suppressed[i]) continue;
    kept.push(i);
    for (const j of order) {
      if (!suppressed[j] && j !== i && intersectionOverUnion(items[i].box, items[j].box) > iouThreshold) suppressed[j] = 1;
    }
  }
  return kept;
}
