import { DatasetScope, effectiveDatasets } from '../common/dataset-scope';
import type { SliceEncoding } from '../imaging/decode-slice';
import type { Box, HuImage } from '../imaging/hu-image';
import type { MatchExplanation } from '../vector-index/match-explanation';
import type { LesionCriteria } from './lesion-criteria';
import type { LesionView } from './lesion.view';

/**
 * Similar archived lesions and follow-ups, as the features above the lesion store use them (growth,
 * cohorts, reporting, detection). src/search's SearchService is the one implementation: SearchModule
 * binds it for the whole app, so none of them imports src/search.
 */
export const SIMILAR_LESIONS = Symbol('SIMILAR_LESIONS');

/** How hits are ranked and cut: the part of a similar query that also applies to an embedding found elsewhere (detection). */
export interface SimilarRanking {
  k: number;
  /** Drop hits below this cosine similarity. */
  minSimilarity?: number;
  /** Re-ranking penalties (0 = off). */
  locationWeight: number;
  sizeWeight: number;
}

/**
 * A similar-lesion query in domain terms: controllers map their DTO to it, other services build it
 * with `similarQuery`. The query is one of a lesion or an uploaded slice (passed beside it).
 */
export interface SimilarQuery extends SimilarRanking {
  lesionId?: number;
  /** With an uploaded or referenced slice: the lesion box "x1,y1,x2,y2" in pixels. */
  box?: string;
  /** With an uploaded slice: its spacing when the caller gives one (else the file's). */
  spacingMm?: number;
  /** How to read an uploaded slice (8-bit images: the HU range of their grey levels). */
  read: { encoding?: SliceEncoding; huWindow?: string };
  /** Structured criteria in storage terms, already intersected with the caller's datasets. */
  criteria: LesionCriteria;
  excludeSamePatient: boolean;
  excludeSameStudy: boolean;
  /** Only lesions matching this tag query. */
  tags?: string;
}

/** A query with the API's defaults (k 10, other patients only, no re-ranking) over the scope's datasets. */
export function similarQuery(given: Partial<SimilarQuery>, scope: DatasetScope): SimilarQuery {
  return {
    k: 10,
    locationWeight: 0,
    sizeWeight: 0,
    read: {},
    criteria: { datasets: effectiveDatasets(scope) },
    excludeSamePatient: true,
    excludeSameStudy: false,
    ...given,
  };
}

export interface SimilarHit {
  lesion: LesionView;
  /** Cosine similarity of the embeddings. */
  similarity: number;
  /** The ranking score (the similarity unless re-ranking weights are set). */
  score: number;
  why: MatchExplanation;
  /** For a search by lesion: what POST /search/feedback needs to accept a curator's mark on this hit. */
  feedbackToken?: string;
}

export interface SimilarResult {
  query: { lesionId: number | null; upload: { width: number; height: number; box: Box } | null };
  model: { name: string; modelId: string };
  k: number;
  hits: SimilarHit[];
}

/** A box on a slice that is already decoded, with the embedding of its patch. */
export interface EmbeddedBox {
  vector: Float32Array;
  /** The slice's size and pixel spacing (for the box's long axis in mm). */
  image: Pick<HuImage, 'width' | 'height' | 'spacing'>;
  box: Box;
}

export interface FollowUp {
  lesion: LesionView;
  score: number;
  appearance: number;
  why: MatchExplanation;
}

export interface SimilarLesions {
  /** Similar lesions of the scope's datasets to a lesion, or to the box on an uploaded slice (`upload`). */
  similar(query: SimilarQuery, scope: DatasetScope, upload?: Buffer): Promise<SimilarResult>;

  /** The same ranking for a box found on a slice here (detection, point to box). */
  similarForEmbedding(embedded: EmbeddedBox, ranking: SimilarRanking, criteria: LesionCriteria, scope: DatasetScope): Promise<SimilarResult>;

  /** The same lesion in the patient's other studies, best first. */
  followUps(lesionId: number, scope: DatasetScope, limit?: number): Promise<FollowUp[]>;

  /** Every indexed lesion at least `minSimilarity` similar to a lesion (itself left out), most similar first, up to `cap`. */
  similarAbove(
    lesionId: number,
    minSimilarity: number,
    excludeSamePatient: boolean,
    scope: DatasetScope,
    cap?: number,
  ): Promise<{ lesionId: number; similarity: number }[]>;
}
