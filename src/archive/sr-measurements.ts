import { ArchiveAnnotation, boundingBox, ARROW_BOX_HALF_PX, coarseTypeOf, ellipseBox, fromAxes, Point, toPoints } from './annotation-geometry';

export interface Code {
  value: string;
  scheme: string;
  meaning: string;
}

/** An image reference, already pseudonymised. */
export interface ImageRef {
  sopUid: string;
  frame: number;
}

/** One SR content item, as much of it as measurements need (free text is never read). */
export interface SrItem {
  valueType: string;
  concept: Code | null;
  /** CODE items' value (0040,A168). */
  code: Code | null;
  graphicType: string | null;
  graphicData: number[] | null;
  /** IMAGE items' references (0008,1199). */
  refs: ImageRef[];
  children: SrItem[];
}

export interface MarksFound {
  annotations: ArchiveAnnotation[];
  /** Marks that could not become lesions, with why (no image, unknown graphic, ...). */
  problems: string[];
}

const MEASUREMENT_GROUP = '125007';
const LONG_AXIS = new Set(['103339001', 'G-A185']);
const SHORT_AXIS = new Set(['103340004', 'G-A186']);
const LENGTH = new Set(['410668003', 'G-D7FE']);

type Role = 'long' | 'short' | 'length' | 'region';
interface Scoord {
  role: Role;
  graphicType: string;
  points: Point[];
  ref: ImageRef | null;
}

/**
 * Lesions from a TID 1500 measurement report: one per Measurement Group (or, in a report without groups,
 * one per spatial coordinate). Long/short axis pairs give RECIST end points and the box; a lone length
 * a padded box around it; a POLYLINE/POLYGON/ELLIPSE/CIRCLE region its bounding box; a POINT a small
 * box flagged approximate. The finding and finding-site codes give the coarse type when they name one.
 */
export function measurementsFromSr(content: SrItem[], origin: string): MarksFound {
  const found: MarksFound = { annotations: [], problems: [] };
  const groups: SrItem[] = [];
  const collectGroups = (items: SrItem[]) => {
    for (const item of items) {
      if (item.valueType === 'CONTAINER' && item.concept?.value === MEASUREMENT_GROUP) groups.push(item);
      else collectGroups(item.children);
    }
  };
  collectGroups(content);
  const units: SrItem[][] = groups.length ? groups.map((g) => g.children) : allScoordItems(content).map((s) => [s]);
  units.forEach((items, ordinal) => {
    const scoords: Scoord[] = [];
    collectScoords(items, null, scoords);
    const groupRef = items.flatMap((i) => (i.valueType === 'IMAGE' ? i.refs : []))[0] ?? null;
    for (const s of scoords) s.ref ??= groupRef;
    const codes = items.filter((i) => i.valueType === 'CODE' && i.code).map((i) => i.code!);
    const mark = lesionFromScoords(scoords);
    if (typeof mark === 'string') {
      if (scoords.length || groups.length) found.problems.push(`measurement ${ordinal + 1}: ${mark}`);
      return;
    }
    found.annotations.push({ source: 'sr', origin, ordinal, ...mark, coarseType: coarseTypeOf(codes) });
  });
  return found;
}

function allScoordItems(items: SrItem[]): SrItem[] {
  return items.flatMap((i) => (i.valueType === 'SCOORD' ? [i] : allScoordItems(i.children)));
}

function collectScoords(items: SrItem[], parentRole: Role | null, out: Scoord[]): void {
  for (const item of items) {
    const own = roleOf(item.concept);
    if (item.valueType === 'SCOORD') {
      const points = toPoints(item.graphicData ?? []);
      const ref = item.children.flatMap((c) => (c.valueType === 'IMAGE' ? c.refs : []))[0] ?? null;
      if (points) out.push({ role: parentRole ?? own ?? 'region', graphicType: item.graphicType ?? '', points, ref });
    } else if (item.valueType !== 'CONTAINER') {
      collectScoords(item.children, own ?? parentRole, out);
    }
  }
}

function roleOf(concept: Code | null): Role | null {
  if (!concept) return null;
  if (LONG_AXIS.has(concept.value)) return 'long';
  if (SHORT_AXIS.has(concept.value)) return 'short';
  if (LENGTH.has(concept.value)) return 'length';
  return null;
}

type Mark = Omit<ArchiveAnnotation, 'source' | 'origin' | 'ordinal' | 'coarseType'>;

function lesionFromScoords(scoords: Scoord[]): Mark | string {
  if (!scoords.length) return 'no spatial coordinates';
  const pick = (role: Role) => scoords.find((s) => s.role === role);
  const long = pick('long');
  const main = long ?? pick('length') ?? pick('region') ?? scoords[0];
  if (!main.ref) return 'its coordinates reference no image';
  const ref = main.ref;
  if (long) {
    const short = pick('short');
    const axes = fromAxes(long.points, short && short.ref?.sopUid === ref.sopUid ? short.points : null);
    return axes ? { ...axes, sopUid: ref.sopUid, frame: ref.frame, approximate: false } : 'a long axis needs two points';
  }
  const shape = shapeMark(main.graphicType, main.points, main.role === 'length');
  return typeof shape === 'string' ? shape : { ...shape, sopUid: ref.sopUid, frame: ref.frame };
}

/** A graphic's box (and axes when it is a measured line); shared with presentation states. */
export function shapeMark(graphicType: string, points: Point[], measuredLine: boolean): Omit<Mark, 'sopUid' | 'frame'> | string {
  const none = { recist: null, longAxisPx: null, shortAxisPx: null, approximate: false };
  switch (graphicType) {
    case 'POLYLINE':
    case 'POLYGON':
    case 'MULTIPOINT': {
      if (points.length === 2 || measuredLine) {
        const axes = fromAxes(points.slice(0, 2), null);
        return axes ? { ...axes, approximate: false } : 'a line needs two distinct points';
      }
      const box = boundingBox(points);
      return box ? { ...none, box } : 'a region with no area';
    }
    case 'ELLIPSE': {
      const box = ellipseBox(points);
      return box ? { ...none, box } : 'an ellipse needs four points';
    }
    case 'CIRCLE': {
      if (points.length !== 2) return 'a circle needs two points';
      const r = Math.hypot(points[1][0] - points[0][0], points[1][1] - points[0][1]);
      const box = boundingBox([
        [points[0][0] - r, points[0][1] - r],
        [points[0][0] + r, points[0][1] + r],
      ]);
      return box ? { ...none, box } : 'a circle with no radius';
    }
    case 'POINT':
      return { ...arrowBox(points[0]), ...none, approximate: true };
    default:
      return `graphic type "${graphicType.slice(0, 16)}" is not one this import reads`;
  }
}

export function arrowBox(tip: Point): { box: { x1: number; y1: number; x2: number; y2: number } } {
  return { box: { x1: tip[0] - ARROW_BOX_HALF_PX, y1: tip[1] - ARROW_BOX_HALF_PX, x2: tip[0] + ARROW_BOX_HALF_PX, y2: tip[1] + ARROW_BOX_HALF_PX } };
}
