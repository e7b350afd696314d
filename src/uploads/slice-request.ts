import type { DicomWebReferenceDto } from '../dicomweb/dicomweb.dto';
import type { UploadReadForm } from './upload-decoder.service';

/** The files of a slice route: the slice (`file`) and, for detection, its neighbouring slices. */
export interface UploadedSlice {
  file?: { buffer: Buffer }[];
  neighbours?: { buffer: Buffer }[];
}

/** What detection and point-to-box may add per box. */
export const BOX_FINDINGS = ['similar', 'tags'] as const;
export type BoxFinding = (typeof BOX_FINDINGS)[number];

/**
 * A slice a request names, in domain terms (detection, point to box, its report): uploaded beside
 * the request or on a PACS by DICOMweb reference, how to read it, and what to add per box found on it.
 */
export interface SliceRequest {
  /** How to read the file, with the caller's in-plane spacing (it wins over the file's own). */
  read: UploadReadForm;
  /** Offsets in mm of the uploaded neighbouring slices, in their order. */
  neighbourOffsetsMm: number[];
  dicomweb?: DicomWebReferenceDto;
  include: BoxFinding[];
  /** Similar lesions per box. */
  k: number;
  /** Similar lesions of these datasets only (each must lie in the caller's). */
  dataset?: string[];
}

/** Point to box: the point clicked inside the lesion, in slice pixels. */
export interface PointRequest extends SliceRequest {
  x: number;
  y: number;
}
