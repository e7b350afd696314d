/** The phantom's public types and constants (tissues, series, cases) and how lesions grow between studies. */
import { DL_INFO_COLUMNS } from '../../deeplesion/deeplesion-csv.parser';
import { COARSE_TYPES } from '../../deeplesion/coarse-types';
import { Prng } from '../prng';
import type { PatientAnatomy } from './geometry';

export type LabelledCoarseType = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;
/** DeepLesion's Coarse_lesion_type; -1 marks a lesion without a type label. */
export type CoarseLesionType = LabelledCoarseType | -1;

/** The importer's names, so the generator and the API agree. */
export const COARSE_LESION_TYPE_NAMES: Readonly<Record<CoarseLesionType, string>> = COARSE_TYPES as Record<CoarseLesionType, string>;

export const LABELLED_COARSE_TYPES: readonly LabelledCoarseType[] = [1, 2, 3, 4, 5, 6, 7, 8];

export const SAMPLE_IMAGE_SIZE = 512;
export const DEFAULT_SAMPLE_PATIENTS = 24;
/** Same default as SAMPLE_SEED in the configuration. */
export const DEFAULT_SAMPLE_SEED = 20181022;

/** The importer's column list: the generator writes exactly what the importer reads. */
export const DL_INFO_HEADER = DL_INFO_COLUMNS;

/** What a pixel of the phantom is made of (before noise). Lets tests and lesion placement ask "where is the liver?". */
export const Tissue = {
  AIR: 0,
  SUBCUTANEOUS_FAT: 1,
  MUSCLE: 2,
  VISCERAL_FAT: 3,
  MEDIASTINAL_FAT: 4,
  LUNG: 5,
  LUNG_VESSEL: 6,
  AIRWAY: 7,
  HEART: 8,
  VESSEL: 9,
  LIVER: 10,
  GALLBLADDER: 11,
  SPLEEN: 12,
  STOMACH: 13,
  PANCREAS: 14,
  KIDNEY: 15,
  RENAL_SINUS: 16,
  BOWEL: 17,
  BLADDER: 18,
  PELVIC_ORGAN: 19,
  BONE_CORTEX: 20,
  BONE_MARROW: 21,
  DISC: 22,
  CSF: 23,
  LESION: 24,
} as const;
export type Tissue = (typeof Tissue)[keyof typeof Tissue];

export interface SampleDatasetOptions {
  seed: number;
  /** Number of patients; callers use DEFAULT_SAMPLE_PATIENTS (24), which gives about 60–90 lesions. */
  patients?: number;
}

/** One lesion as the renderer sees it: a soft-edged 3-D ellipsoid in patient millimetres. */
export interface SeriesLesion {
  /** Same value for the same lesion in every study of a patient (follow-ups). */
  lesionUid: string;
  keySliceIndex: number;
  /** Body-centred mm; z is the key slice's position. */
  center: { x: number; y: number; z: number };
  /** Semi-axes in mm: a (long, in-plane), b (short, in-plane), c (along z). */
  semiAxes: { a: number; b: number; c: number };
  /** In-plane rotation of the long axis, radians, image coordinates. */
  angle: number;
  hu: number;
  /** Enhancing rim of metastases and masses; undefined for cysts and nodules. */
  rimHu?: number;
  edgeMm: number;
}

/** Everything needed to render any slice of one series; shared by the cases of that series. */
export interface SampleSeries {
  datasetSeed: number;
  patientIndex: number;
  studyIndex: number;
  seriesId: number;
  /** `{patient:06d}_{study:02d}_{series:02d}`, the folder under Images_png. */
  folderName: string;
  width: number;
  height: number;
  spacing: { x: number; y: number; z: number };
  /** Slice 1 lies at zStartMm; slice i at zStartMm + (i - 1) * spacing.z. */
  zStartMm: number;
  sliceCount: number;
  /** Pixel position of the body centre. */
  bodyCenterPx: { x: number; y: number };
  /** 0 = no contrast, 1 = full venous-phase enhancement of blood. */
  contrast: number;
  noiseSdHu: number;
  anatomy: PatientAnatomy;
  lesions: SeriesLesion[];
}

/** One lesion of the dataset = one row of DL_info.csv, plus what generated it. */
export interface SampleCase {
  fileName: string;
  patientIndex: number;
  studyIndex: number;
  seriesId: number;
  keySliceIndex: number;
  lesionUid: string;
  coarseType: CoarseLesionType;
  /** The type the lesion was drawn as; equals coarseType except for unlabelled (-1) rows. */
  anatomicalType: LabelledCoarseType;
  /** e.g. 'liver metastasis', 'lung nodule'. */
  lesionKind: string;
  /** Planned mean HU of the lesion core. */
  lesionHu: number;
  /** RECIST long-axis endpoints x1,y1,x2,y2 then short-axis endpoints x1,y1,x2,y2 (px). */
  measurementCoordinates: [number, number, number, number, number, number, number, number];
  boundingBox: [number, number, number, number];
  /** Long and short axis lengths in px (the endpoint distances). */
  lesionDiameters: [number, number];
  normalizedLocation: [number, number, number];
  possiblyNoisy: 0 | 1;
  sliceRange: [number, number];
  spacing: [number, number, number];
  imageSize: [number, number];
  dicomWindow: [number, number];
  gender: 'M' | 'F';
  age: number;
  split: 1 | 2 | 3;
  /** ISO date of the study (not a DL_info.csv column; shows the follow-up intervals). */
  studyDate: string;
  /** How the lesion changes over time (the sample's growth model; not a DL_info.csv column). */
  growth: LesionGrowth;
  series: SampleSeries;
}

/**
 * The sample's growth model. Each lesion is drawn once as growing, stable or shrinking, with
 * probabilities by kind (metastases, masses and lymph nodes mostly grow or, treated, shrink; cysts
 * and sclerotic bone lesions mostly stay), and an exponential rate of its diameters:
 * d(t) = d(0) · exp(rate · days) · noise, noise a per-study measurement error of ±6 % (uniform),
 * the scale kept within ×0.5..×2.5 and shrunk where the organ has no room (see followUpGeometry).
 */
export interface LesionGrowth {
  behaviour: 'grows' | 'stable' | 'shrinks';
  /** ln(diameter ratio) per day. */
  logRatePerDay: number;
}

export const GROWTH_NOISE = 0.06;
export const GROWTH_SCALE_LIMITS: [number, number] = [0.5, 2.5];

/** Probabilities of growing and shrinking (the rest stay stable) by the lesion's kind. */
function growthOdds(kind: string): { grows: number; shrinks: number } {
  if (/cyst|sclerotic/.test(kind)) return { grows: 0.1, shrinks: 0.1 };
  if (/metastasis|mass|lymph node|lytic/.test(kind)) return { grows: 0.5, shrinks: 0.25 };
  return { grows: 0.35, shrinks: 0.2 };
}

export function drawLesionGrowth(rng: Prng, kind: string): LesionGrowth {
  const odds = growthOdds(kind);
  const u = rng.next();
  // Diameter doubling in roughly 10 months to 3 years when growing; halving alike when shrinking.
  const rate = rng.uniform(0.0006, 0.0022);
  if (u < odds.grows) return { behaviour: 'grows', logRatePerDay: rate };
  if (u < odds.grows + odds.shrinks) return { behaviour: 'shrinks', logRatePerDay: -rate };
  return { behaviour: 'stable', logRatePerDay: 0 };
}
