import type { DatasetScope } from '../common/dataset-scope';
import type { ReferenceFindings } from '../dicomweb/referenced-slice.service';
import type { Box } from '../imaging/hu-image';
import type { SimilarHit } from '../lesions/similar-lesions.port';
import type { PointRequest, UploadedSlice } from '../uploads/slice-request';

/**
 * Point to box as the point-to-box report uses it. src/detection's DetectionService is the one
 * implementation: DetectionModule binds it for the whole app, so reporting does not import src/detection.
 */
export const POINT_TO_BOX = Symbol('POINT_TO_BOX');

/** What a report needs of a point-to-box answer. */
export interface PointMeasurement {
  box: Box;
  longAxisMm: number | null;
  shortAxisMm: number | null;
  similar?: SimilarHit[];
  tags?: { term: string; confidence: number }[];
  /** For a slice given by DICOMweb reference: the reference and the same patient's archived lesions. */
  dicomweb?: ReferenceFindings;
}

export interface PointToBox {
  /** The lesion's box and axes from a point clicked inside it, with the findings `request.include` asks for. */
  fromPoint(request: PointRequest, upload: UploadedSlice, scope: DatasetScope): Promise<PointMeasurement>;
}
