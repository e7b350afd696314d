import { Box } from '../imaging/hu-image';

/** A lesion mark found in the archive, referenced to an image (and frame) by its pseudonymous SOP UID. */
export interface ArchiveAnnotation {
  /** Where it came from, for ordering and reports: 'sr', 'gsps' or 'csv'. */
  source: 'sr' | 'gsps' | 'csv';
  /** Pseudonymous UID of the SR/GSPS object, or 'csv:<line>'. */
  origin: string;
  /** Ordinal within its origin (stable order of lesions). */
  ordinal: number;
  sopUid: string;
  /** 1-based frame number (multi-frame images); 1 otherwise. */
  frame: number;
  box: Box;
  /** RECIST end points in DeepLesion's order: long axis x1,y1,x2,y2 then short axis x1,y1,x2,y2. */
  recist: number[] | null;
  longAxisPx: number | null;
  shortAxisPx: number | null;
  /** DeepLesion's coarse type 1..8, or -1 unknown. */
  coarseType: number;
  /** An arrow's tip: the box is a guess around it. */
  approximate: boolean;
}

/** DeepLesion's boxes are the RECIST extent padded by 5 px; measured lines get the same. */
export const LINE_BOX_PADDING_PX = 5;
/** An arrow marks a point: a box this wide around its tip, flagged as approximate. */
export const ARROW_BOX_HALF_PX = 10;

export type Point = [number, number];

export function boundingBox(points: Point[], padding = 0): Box | null {
  if (points.length === 0 || points.some((p) => !Number.isFinite(p[0]) || !Number.isFinite(p[1]))) return null;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const box = { x1: Math.min(...xs) - padding, y1: Math.min(...ys) - padding, x2: Math.max(...xs) + padding, y2: Math.max(...ys) + padding };
  return box.x2 > box.x1 && box.y2 > box.y1 ? box : null;
}

/** DICOM ELLIPSE: major axis end points then minor axis end points; the box of the whole ellipse. */
export function ellipseBox(points: Point[]): Box | null {
  if (points.length !== 4) return null;
  const [a1, a2, b1, b2] = points;
  const cx = (a1[0] + a2[0]) / 2;
  const cy = (a1[1] + a2[1]) / 2;
  const a = [(a2[0] - a1[0]) / 2, (a2[1] - a1[1]) / 2];
  const b = [(b2[0] - b1[0]) / 2, (b2[1] - b1[1]) / 2];
  const hx = Math.hypot(a[0], b[0]);
  const hy = Math.hypot(a[1], b[1]);
  return boundingBox([
    [cx - hx, cy - hy],
    [cx + hx, cy + hy],
  ]);
}

export function length(p: Point, q: Point): number {
  return Math.hypot(q[0] - p[0], q[1] - p[1]);
}

/** Pairs a flat [x1, y1, x2, y2, ...] list into points; null when odd or not finite. */
export function toPoints(values: number[]): Point[] | null {
  if (values.length % 2 || values.some((v) => !Number.isFinite(v))) return null;
  const points: Point[] = [];
  for (let i = 0; i < values.length; i += 2) points.push([values[i], values[i + 1]]);
  return points;
}

/** The lesion a RECIST pair (or a single measured line) describes. */
export function fromAxes(long: Point[], short: Point[] | null): Pick<ArchiveAnnotation, 'box' | 'recist' | 'longAxisPx' | 'shortAxisPx'> | null {
  if (long.length !== 2 || (short && short.length !== 2)) return null;
  const box = boundingBox([...long, ...(short ?? [])], LINE_BOX_PADDING_PX);
  if (!box) return null;
  return {
    box,
    recist: short ? [...long[0], ...long[1], ...short[0], ...short[1]] : null,
    longAxisPx: length(long[0], long[1]),
    shortAxisPx: short ? length(short[0], short[1]) : null,
  };
}

/**
 * DeepLesion's coarse types from a finding or finding-site code (SNOMED CT) or its meaning; -1 when no
 * type is clear. Only the 8 types exist, so a site outside them (e.g. brain) is unknown, not guessed.
 */
const TYPE_BY_SNOMED: Record<string, number> = {
  '272673000': 1, // bone structure
  '818983003': 2, // abdomen
  '113345001': 2, // abdominal structure
  '72410000': 3, // mediastinum
  '10200004': 4, // liver
  '39607008': 5, // lung
  '64033007': 6, // kidney
  '87784001': 7, // soft tissue
  '12921003': 8, // pelvis
  '816092008': 8, // pelvis structure
};
const TYPE_BY_WORD: [RegExp, number][] = [
  [/\bbone|osseous|skelet/i, 1],
  [/\babdom/i, 2],
  [/\bmediastin/i, 3],
  [/\bliver|hepat/i, 4],
  [/\blung|pulmonar/i, 5],
  [/\bkidney|renal/i, 6],
  [/\bsoft tissue/i, 7],
  [/\bpelvi/i, 8],
];

export function coarseTypeOf(codes: { value: string; scheme: string; meaning: string }[]): number {
  for (const code of codes) {
    if (/^(SCT|SRT|SNM3)$/.test(code.scheme) && TYPE_BY_SNOMED[code.value]) return TYPE_BY_SNOMED[code.value];
  }
  for (const code of codes) for (const [pattern, type] of TYPE_BY_WORD) if (pattern.test(code.meaning)) return type;
  return -1;
}
