import { COARSE_TYPES } from '../deeplesion/coarse-types';
import { SPLITS, SplitName } from './lesions.dto';
import { LesionEntity } from './lesion.entities';

/** What the API shows of a lesion: all metadata, no server paths, no identifiers beyond the pseudonymous indexes. */
export interface LesionView {
  id: number;
  dataset: string;
  patient: { index: number; sex: 'M' | 'F' | null };
  study: { index: number; ageYears: number | null; studyInstanceUid: string | null };
  series: {
    index: number;
    spacingMm: { x: number; y: number; z: number | null } | null;
    imageSize: { width: number; height: number } | null;
    sliceRange: { first: number; last: number } | null;
    seriesInstanceUid: string | null;
  };
  keySliceIndex: number;
  lesionInImage: number;
  box: { x1: number; y1: number; x2: number; y2: number };
  recist: number[] | null;
  diameters: { longAxisPx: number | null; shortAxisPx: number | null; longAxisMm: number | null; shortAxisMm: number | null };
  location: { x: number; y: number; z: number } | null;
  coarseType: { code: number; name: string };
  possiblyNoisy: boolean;
  split: SplitName | null;
  dicomWindow: { low: number; high: number } | null;
  sourceFileName: string;
  sourceRow: number | null;
  sopInstanceUid: string | null;
  patchUrl: string;
}

export function splitName(code: number | null): SplitName | null {
  return code ? SPLITS[code - 1] : null;
}

export function splitCode(name: SplitName): number {
  return SPLITS.indexOf(name) + 1;
}

export function toLesionView(lesion: LesionEntity, apiPrefix = '/api/v1'): LesionView {
  const series = lesion.series!;
  const study = series.study!;
  const patient = study.patient!;
  return {
    id: lesion.id,
    dataset: patient.dataset,
    patient: { index: patient.patientIndex, sex: patient.sex },
    study: { index: study.studyIndex, ageYears: study.ageYears, studyInstanceUid: study.studyInstanceUid },
    series: {
      index: series.seriesIndex,
      spacingMm: series.spacingXmm !== null && series.spacingYmm !== null ? { x: series.spacingXmm, y: series.spacingYmm, z: series.spacingZmm } : null,
      imageSize: series.imageWidth !== null && series.imageHeight !== null ? { width: series.imageWidth, height: series.imageHeight } : null,
      sliceRange: series.sliceFirst !== null && series.sliceLast !== null ? { first: series.sliceFirst, last: series.sliceLast } : null,
      seriesInstanceUid: series.seriesInstanceUid,
    },
    keySliceIndex: lesion.keySliceIndex,
    lesionInImage: lesion.lesionInImage,
    box: { x1: lesion.boxX1, y1: lesion.boxY1, x2: lesion.boxX2, y2: lesion.boxY2 },
    recist: lesion.recist,
    diameters: { longAxisPx: lesion.longAxisPx, shortAxisPx: lesion.shortAxisPx, longAxisMm: lesion.longAxisMm, shortAxisMm: lesion.shortAxisMm },
    location:
      lesion.locationX !== null && lesion.locationY !== null && lesion.locationZ !== null
        ? { x: lesion.locationX, y: lesion.locationY, z: lesion.locationZ }
        : null,
    coarseType: { code: lesion.coarseType, name: COARSE_TYPES[lesion.coarseType] ?? 'unknown' },
    possiblyNoisy: lesion.possiblyNoisy,
    split: splitName(lesion.split),
    dicomWindow: lesion.windowLow !== null && lesion.windowHigh !== null ? { low: lesion.windowLow, high: lesion.windowHigh } : null,
    sourceFileName: lesion.sourceFileName,
    sourceRow: lesion.sourceRow,
    sopInstanceUid: lesion.sopInstanceUid,
    patchUrl: `${apiPrefix}/lesions/${lesion.id}/patch.png`,
  };
}
