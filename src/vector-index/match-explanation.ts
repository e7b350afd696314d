import { LesionMeta } from './lesion-meta';

/** Why a hit matched: comparable facts between the query and the hit. */
export interface MatchExplanation {
  /** null when the query has no coarse type (an upload). */
  sameType: boolean | null;
  /** Hit long axis / query long axis; null when either is unknown. */
  sizeRatio: number | null;
  /** Euclidean distance of DeepLesion's normalised body locations; null when either is unknown. */
  locationDistance: number | null;
}

export interface QueryFacts {
  coarseType: number | null;
  longAxisMm: number | null;
  location: [number, number, number] | null;
}

export function explainMatch(query: QueryFacts, hit: LesionMeta): MatchExplanation {
  return {
    sameType: query.coarseType === null || query.coarseType < 1 ? null : hit.coarseType === query.coarseType,
    sizeRatio: query.longAxisMm && hit.longAxisMm ? hit.longAxisMm / query.longAxisMm : null,
    locationDistance: query.location && hit.location ? Math.hypot(...query.location.map((q, i) => q - hit.location![i])) : null,
  };
}

/**
 * Re-ranking score: similarity minus weighted penalties for body-location distance and size
 * mismatch (|ln ratio|: twice as large and half as large cost the same). Unknown facts cost nothing.
 */
export function rerankScore(similarity: number, why: MatchExplanation, weights: { location: number; size: number }): number {
  const location = why.locationDistance ?? 0;
  const size = why.sizeRatio ? Math.abs(Math.log(why.sizeRatio)) : 0;
  return similarity - weights.location * location - weights.size * size;
}
