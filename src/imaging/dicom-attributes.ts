/**
 * Header attributes as read, unvalidated: numbers from text values are NaN where unparsable, null where absent.
 * Any parser that fills DicomSlice fills these, so the checks (dicom-header-check.ts) stay independent of it.
 * For an enhanced (multi-frame) image the spacing, rescale and window are the decoded frame's, from its
 * functional groups.
 */
export interface DicomAttributes {
  rows: number | null;
  columns: number | null;
  bitsAllocated: number | null;
  bitsStored: number | null;
  highBit: number | null;
  samplesPerPixel: number | null;
  numberOfFrames: number | null;
  /** (0028,0030) all values, row spacing first. */
  pixelSpacing: number[] | null;
  rescaleSlope: number | null;
  rescaleIntercept: number | null;
  windowCenter: number | null;
  windowWidth: number | null;
}
