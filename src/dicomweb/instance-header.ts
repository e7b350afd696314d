import * as dicomParser from 'dicom-parser';

/** What a query by reference needs from a retrieved instance's header (never the pixels). */
export interface InstanceHeader {
  sopClassUid: string | null;
  sopInstanceUid: string | null;
  studyInstanceUid: string | null;
  seriesInstanceUid: string | null;
  /** (0028,0008); 1 when absent. */
  numberOfFrames: number;
  hasPixelData: boolean;
  modality: string | null;
  /** Identifying: only for the keyed patient hash, never answered or logged. */
  patientId: string | null;
  issuerOfPatientId: string | null;
}

export class InstanceHeaderError extends Error {}

// Bounds on values read from the header: longer strings are treated as absent, frame counts capped.
const MAX_TEXT = 256;
const MAX_FRAMES = 100_000;

/** Reads the header up to the pixel data (dicom-parser stops there; the pixels are not touched). */
export function readInstanceHeader(bytes: Uint8Array): InstanceHeader {
  let dataSet: dicomParser.DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
  } catch (error) {
    throw new InstanceHeaderError(
      `not a readable DICOM instance (${typeof error === 'string' ? error : ((error as Error)?.message ?? 'parse error')})`.slice(0, 300),
    );
  }
  const text = (tag: string): string | null => {
    try {
      const value = dataSet.string(tag);
      return value && value.length <= MAX_TEXT ? value.replace(/\0+$/, '').trim() || null : null;
    } catch {
      return null;
    }
  };
  const framesText = text('x00280008');
  const frames = framesText === null ? 1 : Number(framesText);
  if (!Number.isInteger(frames) || frames < 1 || frames > MAX_FRAMES)
    throw new InstanceHeaderError(`NumberOfFrames (0028,0008) "${framesText?.slice(0, 20)}" is not a frame count in 1..${MAX_FRAMES}`);
  return {
    sopClassUid: text('x00080016'),
    sopInstanceUid: text('x00080018'),
    studyInstanceUid: text('x0020000d'),
    seriesInstanceUid: text('x0020000e'),
    numberOfFrames: frames,
    hasPixelData: Boolean(dataSet.elements.x7fe00010 || dataSet.elements.x7fe00008 || dataSet.elements.x7fe00009),
    modality: text('x00080060'),
    patientId: text('x00100020'),
    issuerOfPatientId: text('x00100021'),
  };
}
