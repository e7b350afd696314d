import { DatasetScope, effectiveDatasets } from '../common/dataset-scope';
import type { DicomWebReferenceDto } from '../dicomweb/dicomweb.dto';
import type { LesionCriteria } from '../lesions/lesion-criteria';
import type { UploadReadForm } from '../uploads/upload-decoder.service';

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
 * A similar-lesion query in domain terms: controllers map their DTO to it, other services build it.
 * The query is exactly one of a lesion, an uploaded slice (passed beside it) or a DICOMweb reference.
 */
export interface SimilarQuery extends SimilarRanking {
  lesionId?: number;
  dicomweb?: DicomWebReferenceDto;
  /** With an uploaded or referenced slice: the lesion box "x1,y1,x2,y2" in pixels. */
  box?: string;
  /** With an uploaded slice: its spacing when the caller gives one (else the file's). */
  spacingMm?: number;
  /** How to read an uploaded slice. */
  read: UploadReadForm;
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
