import { Box } from '../imaging/hu-image';

/**
 * Everything a report says about one lesion, already pseudonymous: the SR and FHIR builders turn this
 * into bytes and JSON and nothing else (pure functions, so they are tested without a database).
 */
export interface LesionReport {
  /** What the tracking identifier names: "lesion 42", or "point-to-box" for a measurement not archived. */
  trackingIdentifier: string;
  /** Stable over reports of the same lesion (2.25 UID). */
  trackingUid: string;
  /** The pseudonymous patient ("DeepLesion-patient-3"); null for a slice from a PACS: its Patient ID is never repeated. */
  patient: { id: string | null; sex: 'M' | 'F' | null };
  /** The referenced image, when its UIDs are known (archived lesions from DICOM, or a DICOMweb reference). */
  image: {
    studyInstanceUid: string | null;
    seriesInstanceUid: string | null;
    sopInstanceUid: string | null;
    sopClassUid: string;
    /** 1-based frame of a multi-frame image; null for a single-frame one. */
    frame: number | null;
    modality: string;
  };
  /** DeepLesion coarse type (1..8), or null when unknown (a point-to-box measurement). */
  coarseType: number | null;
  box: Box;
  /** RECIST end points: long axis (x1,y1,x2,y2) then short axis (x1,y1,x2,y2), in pixels. */
  recist: number[] | null;
  longAxisMm: number | null;
  shortAxisMm: number | null;
  tags: { term: string; confidence: number | null }[];
  growth: {
    recist: string | null;
    /** Change of the long axis from the track's first measurement, in percent. */
    percentFromBaseline: number | null;
    priors: { lesionId: number; studyIndex: number; longAxisMm: number | null }[];
  } | null;
  similar: { lesionId: number; similarity: number; studyInstanceUid: string | null; coarseType: string }[];
  observer: { uid: string; name: string; manufacturer: string; modelName: string };
  createdAt: Date;
}

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
