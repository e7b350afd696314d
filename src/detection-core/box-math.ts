import { Box } from '../imaging/hu-image';

export function boxArea(b: Box): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}

export function intersectionOverUnion(a: Box, b: Box): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** DeepLesion's lenient hit: the detection's centre lies inside the true box (edges included). */
export function centreInside(detection: Box, truth: Box): boolean {
  const cx = (detection.x1 + detection.x2) / 2;
  const cy = (detection.y1 + detection.y2) / 2;
  return cx >= truth.x1 && cx <= truth.x2 && cy >= truth.y1 && cy <= truth.y2;
}

export function clipBox(b: Box, width: number, height: number): Box {
  return { x1: clamp(b.x1, 0, width), y1: clamp(b.y1, 0, height), x2: clamp(b.x2, 0, width), y2: clamp(b.y2, 0, height) };
}

export function scaleBox(b: Box, factor: number, offsetX = 0, offsetY = 0): Box {
  return { x1: (b.x1 - offsetX) * factor, y1: (b.y1 - offsetY) * factor, x2: (b.x2 - offsetX) * factor, y2: (b.y2 - offsetY) * factor };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
