import { explainMatch, MatchExplanation, QueryFacts, rerankScore } from './match-explanation';
import { LesionMeta } from './lesion-meta';

/** Where a lesion's box sits: its centre, as a fraction of the image's width and height. */
export interface BoxPlace {
  box: { x1: number; y1: number; x2: number; y2: number };
  imageWidth: number | null;
  imageHeight: number | null;
}

/** Distance of two box centres in image-relative coordinates (0..1 per axis; 512 px when the size is unknown). */
export function boxPlaceDistance(a: BoxPlace, b: BoxPlace): number {
  const place = (p: BoxPlace) => [(p.box.x1 + p.box.x2) / 2 / (p.imageWidth ?? 512), (p.box.y1 + p.box.y2) / 2 / (p.imageHeight ?? 512)];
  const [ax, ay] = place(a);
  const [bx, by] = place(b);
  return Math.hypot(ax - bx, ay - by);
}

/**
 * How likely a lesion of another study is the same lesion as the query: appearance (embedding
 * cosine), location weighing most (the same lesion stays put; without DeepLesion's normalised body
 * location the box centre's place in the image stands in), size a little (it may change: that is the
 * point of a follow-up), and a small bonus for the same coarse type.
 */
export function followUpScore(query: QueryFacts & BoxPlace, other: LesionMeta & BoxPlace, appearance: number): { score: number; why: MatchExplanation } {
  const why = explainMatch(query, other);
  why.locationDistance ??= boxPlaceDistance(query, other);
  return { score: rerankScore(appearance, why, { location: 2, size: 0.1 }) + (why.sameType ? 0.05 : 0), why };
}

/**
 * The proxy truth for follow-up matching when studies are not linked lesion by lesion (DeepLesion):
 * a candidate is acceptable when it has the query's coarse type and its box centre lies within
 * `maxPlaceDistance` (image-relative) of the query's.
 */
export function acceptableFollowUp(query: { coarseType: number } & BoxPlace, other: { coarseType: number } & BoxPlace, maxPlaceDistance = 0.1): boolean {
  return query.coarseType === other.coarseType && boxPlaceDistance(query, other) <= maxPlaceDistance;
}
