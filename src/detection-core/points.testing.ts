import { Point } from './contour-trace';

/** Points written as [x, y] pairs: a polygon on one line. */
export function points(...xy: [number, number][]): Point[] {
  return xy.map(([x, y]) => ({ x, y }));
}
