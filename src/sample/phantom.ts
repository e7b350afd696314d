/**
 * A synthetic CT dataset in the exact shape of NIH DeepLesion (DL_info.csv + 16-bit key-slice PNGs),
 * for demos and tests where the real data cannot be shipped.
 *
 * Everything here is pure and seeded: `planSampleDataset` draws patients, studies, series and lesions;
 * `renderSlice` paints one axial slice of a patient's 3-D phantom; `formatDlInfoCsv` writes the CSV.
 * Writing the files is the repository's job (sample-dataset.repository.ts).
 *
 * Conventions: millimetres, x to the image right (the patient's left), y to the image bottom (posterior),
 * z from the top of the head towards the feet. Anatomy positions are relative to the body centre of the
 * slice, so the same patient looks the same in every study whatever the pixel spacing.
 */
import { DEEPLESION_HU_OFFSET } from '../imaging/hu-image';
import { DL_INFO_COLUMNS } from '../deeplesion/deeplesion-csv.parser';
import { COARSE_TYPES } from '../deeplesion/coarse-types';
import { hashSeed, Prng } from './prng';

/** Jest runs tests in a vm context where each global lookup is slow; local copies keep the pixel loops fast there. */
const { PI, abs, atan2, ceil, cos, floor, hypot, max, min, round, sin, sqrt } = Math;

// ---------------------------------------------------------------------------------------------------
// Public types and constants
// ---------------------------------------------------------------------------------------------------

export type LabelledCoarseType = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;
/** DeepLesion's Coarse_lesion_type; -1 marks a lesion without a type label. */
export type CoarseLesionType = LabelledCoarseType | -1;

/** The importer's names, so the generator and the API agree. */
export const COARSE_LESION_TYPE_NAMES: Readonly<Record<CoarseLesionType, string>> = COARSE_TYPES as Record<CoarseLesionType, string>;

export const LABELLED_COARSE_TYPES: readonly LabelledCoarseType[] = [1, 2, 3, 4, 5, 6, 7, 8];

export { DEEPLESION_HU_OFFSET };
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

const GROWTH_NOISE = 0.06;
const GROWTH_SCALE_LIMITS: [number, number] = [0.5, 2.5];

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

// ---------------------------------------------------------------------------------------------------
// Patient anatomy: a list of soft-edged elliptic structures whose cross-sections vary along z
// ---------------------------------------------------------------------------------------------------

/** A cross-section of a structure at some z: an ellipse in body-centred mm. */
interface Ellipse {
  x: number;
  y: number;
  rx: number;
  ry: number;
}

interface StructureKey extends Ellipse {
  z: number;
}

interface StructureCore {
  /** The core is the structure shrunk by this many mm (bone cortex around marrow, bowel wall around content). */
  insetMm: number;
  tissue: Tissue;
  hu: number;
  /** HU added at full contrast (enhancing blood). */
  contrastHu?: number;
  /** Bowel content: gas with this probability per study, fluid otherwise. */
  gasChance?: number;
}

interface Structure {
  tissue: Tissue;
  hu: number;
  contrastHu?: number;
  /** Radians; the whole structure keeps one orientation. */
  angle: number;
  /** Sorted by z; the structure exists only between the first and last key. */
  keys: StructureKey[];
  /** Bitmask of tissues this structure may paint over; undefined = any. */
  paintsOver?: number;
  core?: StructureCore;
  /** Gas pockets (stomach): present in a study with this probability. */
  presenceChance?: number;
}

export interface PatientAnatomy {
  patientIndex: number;
  bodyLengthMm: number;
  /** Body outline semi-axes along z (mm), for normalised locations and pixel spacing. */
  bodyKeys: StructureKey[];
  structures: Structure[];
}

const mask = (...tissues: Tissue[]): number => tissues.reduce<number>((bits, t) => bits | (1 << t), 0);

/** Where organs may paint: inside the body cavity, never over the wall, bone or spinal canal. */
const ORGAN_SPACE = ~mask(Tissue.AIR, Tissue.SUBCUTANEOUS_FAT, Tissue.MUSCLE, Tissue.BONE_CORTEX, Tissue.BONE_MARROW, Tissue.DISC, Tissue.CSF);
const CAVITY_FILL = mask(Tissue.MEDIASTINAL_FAT, Tissue.VISCERAL_FAT);

function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function sectionAt(keys: readonly StructureKey[], z: number): Ellipse | null {
  if (keys.length === 0 || z < keys[0].z || z > keys[keys.length - 1].z) return null;
  for (let i = 1; i < keys.length; i++) {
    const k0 = keys[i - 1];
    const k1 = keys[i];
    if (z <= k1.z) {
      const t = k1.z === k0.z ? 1 : (z - k0.z) / (k1.z - k0.z);
      return { x: lerp(k0.x, k1.x, t), y: lerp(k0.y, k1.y, t), rx: lerp(k0.rx, k1.rx, t), ry: lerp(k0.ry, k1.ry, t) };
    }
  }
  return { ...keys[0] };
}

/** Keys of an ellipsoid (centre zc, half-length rz), sampled so its cross-section shrinks smoothly to the poles. */
function ellipsoidKeys(zc: number, rz: number, at: (z: number, scale: number) => Ellipse, samples = 9): StructureKey[] {
  const keys: StructureKey[] = [];
  for (let i = 0; i < samples; i++) {
    const t = -1 + (2 * i) / (samples - 1);
    const z = zc + t * rz;
    // Poles at 15% rather than 0 so that the ends are not needle points.
    const scale = max(0.15, sqrt(max(0, 1 - t * t)));
    keys.push({ z, ...at(z, scale) });
  }
  return keys;
}

/** Patient-level body measurements, from which every organ position is derived. */
interface BodyModel {
  lengthMm: number;
  /** Normalised z → outline semi-axes and layer thicknesses (mm). */
  outline(zn: number): { a: number; b: number; fat: number; wall: number };
}

function makeBodyModel(rng: Prng, gender: 'M' | 'F'): BodyModel {
  const male = gender === 'M';
  const lengthMm = male ? rng.uniform(1650, 1850) : rng.uniform(1520, 1720);
  const chestA = rng.uniform(138, 162) + (male ? 6 : 0);
  const chestB = rng.uniform(92, 112) + (male ? 4 : 0);
  const abdomen = { a: chestA * rng.uniform(0.94, 1.06), b: chestB * rng.uniform(0.98, 1.18) };
  const pelvis = { a: chestA * rng.uniform(1.0, 1.06) + (male ? 0 : 8), b: chestB * rng.uniform(0.92, 1.04) };
  const fat = rng.uniform(9, 24) + (male ? 0 : 6);
  // Piecewise-linear profile from the lung apices to the thighs.
  const profile: Array<[number, number, number, number, number]> = [
    // zn, a, b, fat, wall
    [0.08, chestA * 0.86, chestB * 0.92, fat * 0.7, 18],
    [0.22, chestA, chestB, fat * 0.8, 17],
    [0.34, chestA, chestB * 1.02, fat * 0.85, 16],
    [0.44, lerp(chestA, abdomen.a, 0.6), lerp(chestB, abdomen.b, 0.6), fat, 12],
    [0.54, abdomen.a, abdomen.b, fat * 1.15, 11],
    [0.64, lerp(abdomen.a, pelvis.a, 0.6), lerp(abdomen.b, pelvis.b, 0.6), fat * 1.2, 11],
    [0.74, pelvis.a, pelvis.b, fat * 1.25, 12],
    [0.88, pelvis.a * 0.98, pelvis.b * 0.96, fat * 1.2, 12],
    [0.97, pelvis.a * 0.9, pelvis.b * 0.9, fat * 1.1, 12],
  ];
  return {
    lengthMm,
    outline(zn: number) {
      const z = clamp(zn, profile[0][0], profile[profile.length - 1][0]);
      let i = 1;
      while (i < profile.length - 1 && z > profile[i][0]) i++;
      const p0 = profile[i - 1];
      const p1 = profile[i];
      const t = (z - p0[0]) / (p1[0] - p0[0]);
      return { a: lerp(p0[1], p1[1], t), b: lerp(p0[2], p1[2], t), fat: lerp(p0[3], p1[3], t), wall: lerp(p0[4], p1[4], t) };
    },
  };
}

/** Builds the 3-D phantom of one patient. Drawn once per patient so that follow-up studies match. */
function buildPatientAnatomy(rng: Prng, patientIndex: number, gender: 'M' | 'F', age: number): PatientAnatomy {
  const body = makeBodyModel(rng, gender);
  const L = body.lengthMm;
  const structures: Structure[] = [];
  const zmm = (zn: number) => zn * L;
  const add = (s: Structure) => {
    if (s.keys.length >= 2) structures.push(s);
  };
  /** Keys sampled along a normalised-z range, placed by a function of the body outline at that level. */
  const along = (zFrom: number, zTo: number, place: (zn: number, t: number) => Ellipse | null, samples = 8): StructureKey[] => {
    const keys: StructureKey[] = [];
    for (let i = 0; i < samples; i++) {
      const t = i / (samples - 1);
      const zn = lerp(zFrom, zTo, t);
      const e = place(zn, t);
      if (e) keys.push({ z: zmm(zn), ...e });
    }
    return keys;
  };
  const cavity = (zn: number) => {
    const o = body.outline(zn);
    return { a: o.a - o.fat - o.wall, b: o.b - o.fat - o.wall };
  };
  /** A structure placed by fractions of the body cavity (so organs follow the patient's build). */
  const inCavity = (zn: number, fx: number, fy: number, frx: number, fry: number): Ellipse => {
    const c = cavity(zn);
    return { x: fx * c.a, y: fy * c.b, rx: frx * c.a, ry: fry * c.b };
  };
  const organEllipsoid = (znCenter: number, znHalf: number, fx: number, fy: number, frx: number, fry: number) =>
    ellipsoidKeys(zmm(znCenter), zmm(znHalf), (z, scale) => {
      const e = inCavity(z / L, fx, fy, frx, fry);
      return { x: e.x, y: e.y, rx: e.rx * scale, ry: e.ry * scale };
    });

  const jitter = (v: number, rel = 0.05) => v * rng.uniform(1 - rel, 1 + rel);
  const tissueHu = {
    fat: rng.uniform(-108, -92),
    muscle: rng.uniform(40, 50),
    visceralFat: rng.uniform(-100, -88),
    mediastinalFat: rng.uniform(-90, -75),
    lung: rng.uniform(-870, -830),
    liver: rng.uniform(55, 61),
    spleen: rng.uniform(43, 48),
    kidney: rng.uniform(28, 34),
    // Bone density falls with age: cancellous ~400 HU at 20, ~250 at 85.
    marrow: clamp(420 - (age - 18) * 2.4 + rng.uniform(-20, 20), 250, 400),
    cortex: clamp(980 - (age - 18) * 3 + rng.uniform(-40, 40), 700, 1000),
  };

  // --- body layers: skin/subcutaneous fat, muscle wall, cavity -------------------------------------
  const outlineKeys = (inset: (o: ReturnType<BodyModel['outline']>) => number, zFrom = 0.06, zTo = 0.98) =>
    along(
      zFrom,
      zTo,
      (zn) => {
        const o = body.outline(zn);
        const d = inset(o);
        return { x: 0, y: 0, rx: o.a - d, ry: o.b - d };
      },
      24,
    );
  const bodyKeys = outlineKeys(() => 0);
  add({ tissue: Tissue.SUBCUTANEOUS_FAT, hu: tissueHu.fat, angle: 0, keys: bodyKeys });
  add({ tissue: Tissue.MUSCLE, hu: tissueHu.muscle, angle: 0, keys: outlineKeys((o) => o.fat) });

  add({ tissue: Tissue.MEDIASTINAL_FAT, hu: tissueHu.mediastinalFat, angle: 0, keys: outlineKeys((o) => o.fat + o.wall, 0.06, 0.4) });
  add({ tissue: Tissue.VISCERAL_FAT, hu: tissueHu.visceralFat, angle: 0, keys: outlineKeys((o) => o.fat + o.wall, 0.4, 0.98) });

  // --- spine: the canal is placed from the back, the vertebral body in front of it ------------------
  const canalY = (zn: number) => {
    const o = body.outline(zn);
    return o.b - o.fat - lerp(34, 46, clamp((zn - 0.2) / 0.4, 0, 1));
  };
  const vertebralSize = (zn: number) => {
    const t = clamp((zn - 0.12) / 0.5, 0, 1);
    return { rx: lerp(15, 24, t), ry: lerp(12, 17, t) };
  };
  const vertebralY = (zn: number) => canalY(zn) - 9 - vertebralSize(zn).ry;
  const sacrumTop = 0.635;

  const erectorSize = { rx: jitter(26), ry: jitter(22) };
  for (const side of [-1, 1]) {
    // Erector spinae either side of the spinous processes.
    add({
      tissue: Tissue.MUSCLE,
      hu: tissueHu.muscle,
      angle: 0,
      keys: along(0.08, 0.7, (zn) => ({ x: side * 30, y: canalY(zn) + 10, ...erectorSize }), 10),
    });
    // Psoas: thickens down the lumbar spine, then moves forwards and outwards into the pelvis.
    add({
      tissue: Tissue.MUSCLE,
      hu: tissueHu.muscle,
      angle: side * 0.25,
      keys: along(0.49, 0.78, (zn, t) => {
        const lumbar = min(zn, sacrumTop);
        const intoPelvis = clamp((zn - 0.64) / 0.12, 0, 1);
        return {
          x: side * (vertebralSize(lumbar).rx + 8 + 16 * t + 14 * intoPelvis),
          y: lerp(vertebralY(lumbar), inCavity(zn, 0, -0.05, 0, 0).y, intoPelvis),
          rx: 8 + 14 * min(1, t * 1.6),
          ry: 8 + 12 * t,
        };
      }),
    });
    // Gluteal muscles.
    add({
      tissue: Tissue.MUSCLE,
      hu: tissueHu.muscle,
      angle: side * -0.35,
      paintsOver: mask(Tissue.MUSCLE, Tissue.VISCERAL_FAT),
      keys: along(0.63, 0.95, (zn, t) => {
        const o = body.outline(zn);
        return { x: side * 0.52 * o.a, y: 0.5 * o.b, rx: (0.3 + 0.1 * t) * o.a, ry: (0.32 + 0.1 * t) * o.b };
      }),
    });
  }

  const bone = (insetMm: number, marrowHu = tissueHu.marrow): Pick<Structure, 'tissue' | 'hu' | 'core'> => ({
    tissue: Tissue.BONE_CORTEX,
    hu: tissueHu.cortex,
    core: { insetMm, tissue: Tissue.BONE_MARROW, hu: marrowHu },
  });

  // Vertebral bodies alternate with discs along z.
  const levelMm = jitter(0.0175 * L, 0.04);
  const discMm = rng.uniform(5, 7);
  for (let top = zmm(0.06) + rng.uniform(0, levelMm); top < zmm(sacrumTop); top += levelMm) {
    const bottom = min(top + levelMm - discMm, zmm(sacrumTop));
    const vertebra = (z: number): StructureKey => {
      const zn = z / L;
      const v = vertebralSize(zn);
      return { z, x: 0, y: vertebralY(zn), rx: v.rx, ry: v.ry };
    };
    add({ ...bone(2.2), angle: 0, keys: [vertebra(top), vertebra(bottom)] });
    if (bottom + discMm <= zmm(sacrumTop)) {
      add({ tissue: Tissue.DISC, hu: rng.uniform(75, 95), angle: 0, keys: [vertebra(bottom + 0.01), vertebra(bottom + discMm - 0.01)] });
    }
  }
  // Posterior elements: laminae ring, spinous and transverse processes, then the canal.
  add({ ...bone(3.5), angle: 0, keys: along(0.06, sacrumTop, (zn) => ({ x: 0, y: canalY(zn), rx: 15, ry: 12 }), 10) });
  add({ ...bone(1.6), angle: 0, keys: along(0.06, sacrumTop, (zn) => ({ x: 0, y: canalY(zn) + 24, rx: 4.5, ry: 13 }), 10) });
  for (const side of [-1, 1]) {
    add({ ...bone(1.6), angle: side * -0.2, keys: along(0.06, sacrumTop, (zn) => ({ x: side * 25, y: canalY(zn) - 3, rx: 13, ry: 5 }), 10) });
  }
  add({ tissue: Tissue.CSF, hu: rng.uniform(5, 15), angle: 0, keys: along(0.06, sacrumTop, (zn) => ({ x: 0, y: canalY(zn), rx: 8.5, ry: 7.5 }), 10) });

  // Sternum.
  add({
    ...bone(1.8),
    angle: 0,
    keys: along(0.2, 0.38, (zn) => {
      const o = body.outline(zn);
      return { x: 0, y: -(o.b - o.fat - o.wall * 0.55), rx: 15, ry: 6 };
    }),
  });

  // Ribs: oval cross-sections around the rib cage; each rib is seen only where it crosses the slice,
  // so visibility alternates along z and the pattern drifts between neighbouring slices.
  const ribPitchMm = rng.uniform(32, 40);
  const ribPhase = rng.uniform(0, 2 * PI);
  for (const side of [-1, 1]) {
    for (let j = 0; j < 9; j++) {
      const t = 0.4 + (j * 2.3) / 8;
      let runStart: number | null = null;
      for (let z = zmm(0.12); z <= zmm(0.5) + 2; z += 2) {
        const zn = z / L;
        // Lower ribs exist only laterally and posteriorly.
        const present = (zn < 0.4 || t > 1.3) && sin((2 * PI * z) / ribPitchMm + 1.7 * j + side * 0.6 + ribPhase) > -0.25;
        if (present && runStart === null) runStart = z;
        if ((!present || z > zmm(0.5)) && runStart !== null) {
          const z0 = runStart;
          const z1 = z - 2;
          runStart = null;
          if (z1 - z0 < 2) continue;
          const ribAt = (zz: number, dt: number): StructureKey => {
            const c = cavity(zz / L);
            const tt = t + dt;
            return { z: zz, x: side * (c.a + 5) * sin(tt), y: -(c.b + 5) * cos(tt), rx: 7, ry: 4.2 };
          };
          // Tangent direction of the cage ellipse at t.
          const c = cavity(z0 / L);
          const angle = atan2((c.b + 5) * sin(t), side * (c.a + 5) * cos(t));
          add({ ...bone(1.3, tissueHu.marrow * 0.7), angle, keys: [ribAt(z0, 0), ribAt(z1, 0.06)] });
        }
      }
    }
  }
  // Scapulae: thin plates in the posterior chest wall, outside the ribs.
  for (const side of [-1, 1]) {
    add({
      ...bone(1.5),
      // Lateral end forwards, following the curve of the back; clipped to the muscle it lies in.
      angle: -side * 0.35,
      paintsOver: mask(Tissue.MUSCLE),
      keys: along(0.11, 0.27, (zn, t) => {
        const o = body.outline(zn);
        return { x: side * 0.45 * o.a, y: o.b - o.fat - o.wall * 0.5 - 6, rx: 42 * (1 - 0.4 * t), ry: 4.5 };
      }),
    });
  }

  // Sacrum, iliac wings, acetabula and femoral heads, ischia.
  const sacrumY = (zn: number) => {
    const o = body.outline(zn);
    return o.b - o.fat - 38;
  };
  add({
    ...bone(2.5),
    angle: 0,
    // S1 continues the L5 body, then the sacrum curves backwards.
    keys: along(sacrumTop, 0.75, (zn, t) => ({ x: 0, y: lerp(vertebralY(sacrumTop), sacrumY(zn), sqrt(t)), rx: lerp(50, 22, t), ry: lerp(20, 12, t) })),
  });
  for (const side of [-1, 1]) {
    // Iliac wing: from the sacroiliac joint (medial, posterior) out to the iliac crest (lateral, anterior).
    const wingEnds = (zn: number, t: number) => {
      const c = cavity(zn);
      return {
        medial: { x: side * lerp(46, 60, t), y: sacrumY(zn) - 6 },
        lateral: { x: side * lerp(0.9, 0.75, t) * c.a, y: lerp(-0.1, 0.05, t) * c.b },
      };
    };
    const mid = wingEnds(0.68, 0.5);
    const wingAngle = atan2(mid.lateral.y - mid.medial.y, mid.lateral.x - mid.medial.x);
    add({
      ...bone(2.2),
      angle: wingAngle,
      keys: along(0.615, 0.745, (zn, t) => {
        const { medial, lateral } = wingEnds(zn, t);
        const half = hypot(lateral.x - medial.x, lateral.y - medial.y) / 2;
        return { x: (medial.x + lateral.x) / 2, y: (medial.y + lateral.y) / 2, rx: half * (t < 0.1 ? 0.7 : 1), ry: 7 + 6 * t };
      }),
    });

    // Hip: acetabulum, a rim of joint space, then the femoral head inside it; ischium below and behind.
    const hipX = (zn: number) => side * 0.62 * cavity(zn).a;
    add({ ...bone(3), angle: 0, keys: ellipsoidKeys(zmm(0.79), zmm(0.045), (z, s) => ({ x: hipX(z / L), y: inCavity(z / L, 0, 0.02, 0, 0).y, rx: 33 * s, ry: 33 * s })) });
    add({
      tissue: Tissue.MUSCLE,
      hu: rng.uniform(35, 45),
      angle: 0,
      paintsOver: mask(Tissue.BONE_CORTEX, Tissue.BONE_MARROW),
      keys: ellipsoidKeys(zmm(0.79), zmm(0.032), (z, s) => ({ x: hipX(z / L) + side * 4, y: inCavity(z / L, 0, 0.02, 0, 0).y, rx: 26 * s, ry: 26 * s })),
    });
    add({ ...bone(2.5), angle: 0, keys: ellipsoidKeys(zmm(0.79), zmm(0.03), (z, s) => ({ x: hipX(z / L) + side * 4, y: inCavity(z / L, 0, 0.02, 0, 0).y, rx: 23 * s, ry: 23 * s })) });
    add({ ...bone(2.5), angle: side * 0.3, keys: along(0.8, 0.88, (zn) => ({ ...inCavity(zn, side * 0.38, 0.55, 0, 0), rx: 15, ry: 20 })) });
  }

  // --- chest ---------------------------------------------------------------------------------------
  const lungProfile: Array<[number, number, number]> = [
    // zn, size scale, posterior shift (fraction of cavity b)
    [0.12, 0.3, 0.05],
    [0.18, 0.62, 0.02],
    [0.25, 0.85, 0.02],
    [0.32, 0.95, 0.05],
    [0.37, 1.0, 0.1],
    [0.4, 0.78, 0.28],
    [0.43, 0.35, 0.45],
  ];
  const lungSize = { rx: jitter(0.5), ry: jitter(0.92) };
  const lungKeysBySide = new Map<number, StructureKey[]>();
  for (const side of [-1, 1]) {
    const keys = lungProfile.map(([zn, s, shift]) => ({
      z: zmm(zn),
      ...inCavity(zn, side * 0.5, shift, lungSize.rx * s, lungSize.ry * s),
    }));
    lungKeysBySide.set(side, keys);
    add({ tissue: Tissue.LUNG, hu: tissueHu.lung, angle: 0, paintsOver: CAVITY_FILL, keys });
  }
  // Pulmonary vessels: short tubes whose position is fixed relative to the lung; thicker near the hilum.
  for (const side of [-1, 1]) {
    const lungKeys = lungKeysBySide.get(side)!;
    for (let k = 0; k < 170; k++) {
      const zn0 = rng.uniform(0.12, 0.42);
      const lengthMm = rng.uniform(25, 90);
      const z0 = zmm(zn0);
      const z1 = min(z0 + lengthMm, lungKeys[lungKeys.length - 1].z);
      const radius = sqrt(rng.next()) * 0.95;
      const theta = rng.uniform(0, 2 * PI);
      const u0 = radius * cos(theta);
      const v0 = radius * sin(theta);
      const u1 = clamp(u0 + rng.uniform(-0.15, 0.15), -1, 1);
      const v1 = clamp(v0 + rng.uniform(-0.15, 0.15), -1, 1);
      // The hilum is medial (towards x = 0) and mid-chest.
      const hilumDistance = hypot(u0 + side * 0.7, v0 + 0.1) / 1.9;
      const r = 1 + 3.2 * (1 - clamp(hilumDistance, 0, 1)) ** 2;
      const keyAt = (z: number, u: number, v: number): StructureKey | null => {
        const lung = sectionAt(lungKeys, z);
        return lung ? { z, x: lung.x + u * lung.rx, y: lung.y + v * lung.ry, rx: r, ry: r } : null;
      };
      const a = keyAt(z0, u0, v0);
      const b = keyAt(z1, u1, v1);
      if (a && b && z1 > z0) add({ tissue: Tissue.LUNG_VESSEL, hu: rng.uniform(30, 50), contrastHu: 60, angle: 0, paintsOver: mask(Tissue.LUNG), keys: [a, b] });
    }
  }
  // Mediastinum: fat between the lungs, in which the heart, vessels and airways lie.
  add({
    tissue: Tissue.MEDIASTINAL_FAT,
    hu: tissueHu.mediastinalFat,
    angle: 0,
    paintsOver: mask(Tissue.LUNG, Tissue.LUNG_VESSEL, Tissue.MEDIASTINAL_FAT),
    keys: along(0.08, 0.41, (zn) => inCavity(zn, 0.03, -0.05, 0.22, 0.88), 8),
  });
  const aortaY = (zn: number) => vertebralY(zn) - lerp(4, vertebralSize(zn).ry + 12, clamp((zn - 0.3) / 0.2, 0, 1));
  const aortaX = (zn: number) => lerp(vertebralSize(zn).rx + 8, 8, clamp((zn - 0.3) / 0.2, 0, 1));
  const blood = { hu: rng.uniform(38, 45), contrastHu: 110 };
  const venous = { hu: rng.uniform(36, 44), contrastHu: 70 };
  // Heart: myocardium around blood.
  add({
    tissue: Tissue.HEART,
    hu: rng.uniform(42, 50),
    angle: -0.5,
    paintsOver: ORGAN_SPACE,
    keys: ellipsoidKeys(zmm(0.356), zmm(0.055), (z, s) => {
      const e = inCavity(z / L, 0.16, -0.28, 0.42, 0.5);
      return { ...e, rx: e.rx * s, ry: e.ry * s };
    }),
    core: { insetMm: 8, tissue: Tissue.HEART, ...blood },
  });
  // Ascending aorta.
  add({ tissue: Tissue.VESSEL, ...blood, angle: 0, paintsOver: ORGAN_SPACE, keys: along(0.265, 0.34, (zn) => ({ ...inCavity(zn, 0.05, -0.38, 0, 0), rx: 15, ry: 15 }), 3) });
  {
    // Aortic arch: joins the ascending and descending aorta.
    const asc = inCavity(0.258, 0.05, -0.38, 0, 0);
    const desc = { x: aortaX(0.258), y: aortaY(0.258) };
    const half = hypot(desc.x - asc.x, desc.y - asc.y) / 2 + 12;
    const angle = atan2(desc.y - asc.y, desc.x - asc.x);
    const mid = { x: (asc.x + desc.x) / 2, y: (asc.y + desc.y) / 2 };
    add({ tissue: Tissue.VESSEL, ...blood, angle, paintsOver: ORGAN_SPACE, keys: [0.25, 0.266].map((zn) => ({ z: zmm(zn), ...mid, rx: half, ry: 13 })) });
  }
  // Pulmonary trunk, then the right and left pulmonary arteries running out to the hila.
  add({ tissue: Tissue.VESSEL, ...blood, angle: 0, paintsOver: ORGAN_SPACE, keys: along(0.288, 0.318, (zn) => ({ ...inCavity(zn, 0.16, -0.32, 0, 0), rx: 14, ry: 14 }), 3) });
  for (const side of [-1, 1]) {
    add({ tissue: Tissue.VESSEL, ...blood, angle: side * 0.3, paintsOver: ORGAN_SPACE, keys: along(0.3, 0.316, (zn) => ({ ...inCavity(zn, side * 0.22, -0.12, 0.17, 0), ry: 9 }), 3) });
  }
  // Superior vena cava.
  add({ tissue: Tissue.VESSEL, ...venous, angle: 0, paintsOver: ORGAN_SPACE, keys: along(0.2, 0.31, (zn) => ({ ...inCavity(zn, -0.14, -0.33, 0, 0), rx: 10, ry: 10 }), 3) });
  // Trachea (wall around air), then the main bronchi.
  add({
    tissue: Tissue.AIRWAY,
    hu: rng.uniform(35, 45),
    angle: 0,
    paintsOver: ORGAN_SPACE,
    keys: along(0.06, 0.29, (zn, t) => ({ ...inCavity(zn, 0, lerp(-0.45, -0.12, t), 0, 0), rx: 9.5, ry: 9 })),
    core: { insetMm: 2, tissue: Tissue.AIRWAY, hu: -1000 },
  });
  for (const side of [-1, 1]) {
    add({
      tissue: Tissue.AIRWAY,
      hu: 40,
      angle: 0,
      paintsOver: ORGAN_SPACE,
      keys: along(0.289, 0.315, (zn, t) => ({ ...inCavity(zn, side * lerp(0.04, 0.22, t), lerp(-0.12, -0.04, t), 0, 0), rx: 6.5, ry: 6.5 }), 4),
      core: { insetMm: 1.5, tissue: Tissue.AIRWAY, hu: -1000 },
    });
  }
  // Oesophagus, collapsed, in front of the spine.
  add({ tissue: Tissue.BOWEL, hu: 40, angle: 0, paintsOver: ORGAN_SPACE, keys: along(0.08, 0.4, (zn, t) => ({ x: lerp(-4, 12, t), y: vertebralY(zn) - vertebralSize(zn).ry - 7, rx: 8, ry: 6 })) });

  // --- abdomen ------------------------------------------------------------------------------------
  const liverScale = jitter(1, 0.07);
  const liverKeys: StructureKey[] = (
    [
      // zn, fx, fy, frx, fry
      [0.385, -0.32, -0.1, 0.3, 0.42],
      [0.41, -0.28, -0.05, 0.6, 0.8],
      [0.45, -0.3, 0, 0.64, 0.84],
      [0.49, -0.45, 0.08, 0.45, 0.7],
      [0.53, -0.56, 0.12, 0.3, 0.48],
      [0.56, -0.6, 0.12, 0.12, 0.2],
    ] as const
  ).map(([zn, fx, fy, frx, fry]) => ({ z: zmm(zn), ...inCavity(zn, fx, fy, frx * liverScale, fry * liverScale) }));
  add({ tissue: Tissue.LIVER, hu: tissueHu.liver, contrastHu: 4, angle: 0.25, paintsOver: ORGAN_SPACE, keys: liverKeys });
  // Left lobe, reaching across the midline in front of the stomach.
  add({ tissue: Tissue.LIVER, hu: tissueHu.liver, contrastHu: 4, angle: -0.15, paintsOver: ORGAN_SPACE, keys: organEllipsoid(0.435, 0.035, 0.12, -0.55, 0.38, 0.3) });
  // Hepatic veins and portal branches.
  for (let k = 0; k < 6; k++) {
    const u0 = rng.uniform(-0.6, 0.6);
    const v0 = rng.uniform(-0.6, 0.6);
    const zn0 = rng.uniform(0.4, 0.47);
    const z0 = zmm(zn0);
    const z1 = z0 + rng.uniform(20, 50);
    const r = rng.uniform(2.5, 5);
    const at = (z: number, du: number): StructureKey | null => {
      const liver = sectionAt(liverKeys, z);
      return liver ? { z, x: liver.x + (u0 + du) * liver.rx, y: liver.y + v0 * liver.ry, rx: r, ry: r } : null;
    };
    const a = at(z0, 0);
    const b = at(z1, 0.15);
    if (a && b) add({ tissue: Tissue.VESSEL, ...venous, angle: 0, paintsOver: mask(Tissue.LIVER), keys: [a, b] });
  }
  add({ tissue: Tissue.GALLBLADDER, hu: rng.uniform(4, 14), angle: 0.4, paintsOver: mask(Tissue.LIVER, Tissue.VISCERAL_FAT), keys: ellipsoidKeys(zmm(0.49), zmm(0.025), (z, s) => ({ ...inCavity(z / L, -0.26, -0.42, 0, 0), rx: 14 * s, ry: 22 * s })) });
  add({ tissue: Tissue.SPLEEN, hu: tissueHu.spleen, contrastHu: 10, angle: -0.6, paintsOver: ORGAN_SPACE, keys: organEllipsoid(0.45, 0.05, 0.6, 0.32, jitter(0.22), jitter(0.42)) });
  add({
    tissue: Tissue.STOMACH,
    hu: 40,
    angle: 0.3,
    paintsOver: ORGAN_SPACE,
    keys: organEllipsoid(0.435, 0.045, 0.3, -0.35, 0.3, 0.36),
    core: { insetMm: 4, tissue: Tissue.STOMACH, hu: rng.uniform(8, 22) },
  });
  // Gas cap in the front of the stomach, present in most studies.
  add({ tissue: Tissue.STOMACH, hu: -1000, angle: 0.3, paintsOver: mask(Tissue.STOMACH), presenceChance: 0.8, keys: organEllipsoid(0.43, 0.035, 0.3, -0.58, 0.24, 0.16) });
  add({ tissue: Tissue.PANCREAS, hu: rng.uniform(38, 48), contrastHu: 15, angle: -0.25, paintsOver: ORGAN_SPACE, keys: organEllipsoid(0.47, 0.02, 0.08, 0.02, 0.38, 0.1) });
  for (const side of [-1, 1]) {
    const zc = side > 0 ? 0.51 : 0.52;
    const kidneyAt = (z: number, s: number, dxMm = 0, scale = 1): Ellipse => {
      const zn = z / L;
      const v = vertebralSize(min(zn, sacrumTop));
      return { x: side * (v.rx + 42 - dxMm), y: vertebralY(min(zn, sacrumTop)) + 2 - dxMm * 0.5, rx: 27 * s * scale, ry: 20 * s * scale };
    };
    // Kidney about 11 cm long; the renal sinus (fat) sits towards its medial hilum.
    add({ tissue: Tissue.KIDNEY, hu: tissueHu.kidney, contrastHu: 20, angle: side * -0.7, paintsOver: ORGAN_SPACE, keys: ellipsoidKeys(zmm(zc), 55, (z, s) => kidneyAt(z, s)) });
    add({ tissue: Tissue.RENAL_SINUS, hu: rng.uniform(-50, -25), angle: side * -0.7, paintsOver: mask(Tissue.KIDNEY), keys: ellipsoidKeys(zmm(zc), 30, (z, s) => kidneyAt(z, s, 10, 0.42)) });
  }
  // Descending and abdominal aorta, after the solid organs so that none of them covers it.
  add({ tissue: Tissue.VESSEL, ...blood, angle: 0, paintsOver: ORGAN_SPACE, keys: along(0.255, 0.6, (zn) => ({ x: aortaX(zn), y: aortaY(zn), rx: lerp(12.5, 10, (zn - 0.25) / 0.35), ry: lerp(12.5, 10, (zn - 0.25) / 0.35) }), 10) });
  // Inferior vena cava, right of the spine.
  add({ tissue: Tissue.VESSEL, ...venous, angle: 0, paintsOver: ORGAN_SPACE, keys: along(0.38, 0.61, (zn) => ({ x: -(vertebralSize(zn).rx + 6), y: vertebralY(zn) - vertebralSize(zn).ry - 8, rx: 11, ry: 10 }), 6) });
  // Common and external iliac arteries and veins, from the bifurcation to the pelvic side walls.
  for (const side of [-1, 1]) {
    const iliac = (zn: number, t: number) => ({ x: side * lerp(8, 0.36 * cavity(zn).a, t), y: lerp(aortaY(0.6), inCavity(zn, 0, 0.05, 0, 0).y, t) });
    add({ tissue: Tissue.VESSEL, ...blood, angle: 0, paintsOver: ORGAN_SPACE, keys: along(0.6, 0.8, (zn, t) => ({ ...iliac(zn, t), rx: 6.5, ry: 6.5 }), 6) });
    add({ tissue: Tissue.VESSEL, ...venous, angle: 0, paintsOver: ORGAN_SPACE, keys: along(0.61, 0.8, (zn, t) => ({ x: iliac(zn, t).x - side * 4, y: iliac(zn, t).y + 13, rx: 8, ry: 7.5 }), 6) });
  }
  const bowel = (gasChance: number, insetMm = 2.2): StructureCore => ({ insetMm, tissue: Tissue.BOWEL, hu: rng.uniform(10, 25), gasChance });
  const colon = (keys: StructureKey[]) => add({ tissue: Tissue.BOWEL, hu: 40, angle: 0, paintsOver: CAVITY_FILL, keys, core: bowel(0.7, 2.5) });
  colon(along(0.5, 0.66, (zn) => ({ ...inCavity(zn, -0.72, 0.02, 0, 0), rx: 18, ry: 17 }), 4)); // ascending
  colon(along(0.45, 0.66, (zn) => ({ ...inCavity(zn, 0.74, 0.15, 0, 0), rx: 15, ry: 14 }), 4)); // descending
  colon(along(0.5, 0.53, (zn) => inCavity(zn, 0, -0.55, 0.6, 0.15), 3)); // transverse
  colon(along(0.66, 0.86, (zn, t) => ({ ...inCavity(zn, lerp(0.2, 0, t), lerp(0.35, 0.55, t), 0, 0), rx: 17, ry: 16 }), 5)); // sigmoid and rectum
  // Small-bowel loops fill the remaining visceral fat of the lower abdomen and pelvis.
  for (let k = 0; k < 320; k++) {
    const zc = rng.uniform(0.47, 0.78);
    const u = rng.uniform(-0.78, 0.78);
    const v = rng.uniform(-0.9, 0.45);
    const r = rng.uniform(9, 17);
    const flattening = rng.uniform(0.65, 1);
    add({
      tissue: Tissue.BOWEL,
      hu: 40,
      angle: rng.uniform(0, PI),
      paintsOver: mask(Tissue.VISCERAL_FAT),
      keys: ellipsoidKeys(zmm(zc), rng.uniform(14, 32), (z, s) => ({ ...inCavity(z / L, u, v, 0, 0), rx: r * s, ry: r * flattening * s }), 5),
      core: bowel(0.3, 2),
    });
  }
  // Bladder (urine), then the uterus or the prostate.
  add({ tissue: Tissue.BLADDER, hu: rng.uniform(0, 10), angle: 0, paintsOver: ORGAN_SPACE, keys: organEllipsoid(0.78, 0.05, 0, -0.45, jitter(0.3), jitter(0.36)) });
  if (gender === 'F') {
    add({ tissue: Tissue.PELVIC_ORGAN, hu: rng.uniform(40, 55), angle: 0, paintsOver: ORGAN_SPACE, keys: ellipsoidKeys(zmm(0.755), zmm(0.035), (z, s) => ({ ...inCavity(z / L, 0, -0.02, 0, 0), rx: 32 * s, ry: 22 * s })) });
  } else {
    add({ tissue: Tissue.PELVIC_ORGAN, hu: rng.uniform(35, 45), angle: 0, paintsOver: ORGAN_SPACE, keys: ellipsoidKeys(zmm(0.835), zmm(0.02), (z, s) => ({ ...inCavity(z / L, 0, 0.05, 0, 0), rx: 22 * s, ry: 18 * s })) });
  }

  return { patientIndex, bodyLengthMm: L, bodyKeys, structures };
}

// ---------------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------------

interface Canvas {
  width: number;
  height: number;
  /** mm per pixel (x = y). */
  spacing: number;
  centerX: number;
  centerY: number;
  hu: Float32Array;
  tissue: Uint8Array;
}

const ANY_TISSUE = -1;

/**
 * Paints a soft-edged ellipse (mm, body-centred). `edgePx` is the width of the linear ramp across the
 * border, which stands in for partial-volume blur; the tissue label follows the 50% contour.
 */
function paintEllipse(canvas: Canvas, e: Ellipse, angle: number, hu: number, tissue: Tissue, paintsOver: number, edgePx: number): void {
  const { width, height, spacing } = canvas;
  const cx = canvas.centerX + e.x / spacing;
  const cy = canvas.centerY + e.y / spacing;
  const rx = e.rx / spacing;
  const ry = e.ry / spacing;
  if (rx < 0.35 || ry < 0.35) return;
  const cosA = cos(angle);
  const sinA = sin(angle);
  const halfEdge = edgePx / 2;
  const reachX = sqrt((rx * cosA) ** 2 + (ry * sinA) ** 2) + halfEdge + 1;
  const reachY = sqrt((rx * sinA) ** 2 + (ry * cosA) ** 2) + halfEdge + 1;
  const x0 = max(0, floor(cx - reachX));
  const x1 = min(width - 1, ceil(cx + reachX));
  const y0 = max(0, floor(cy - reachY));
  const y1 = min(height - 1, ceil(cy + reachY));
  const maxRho = 1 + halfEdge / min(rx, ry);
  const maxQ = maxRho * maxRho;
  const invRx2 = 1 / (rx * rx);
  const invRy2 = 1 / (ry * ry);
  const { hu: huBuf, tissue: tissueBuf } = canvas;
  for (let py = y0; py <= y1; py++) {
    const dy = py - cy;
    let i = py * width + x0;
    for (let px = x0; px <= x1; px++, i++) {
      const dx = px - cx;
      const u = dx * cosA + dy * sinA;
      const v = -dx * sinA + dy * cosA;
      const q = u * u * invRx2 + v * v * invRy2;
      if (q > maxQ) continue;
      if (paintsOver !== ANY_TISSUE && (paintsOver & (1 << tissueBuf[i])) === 0) continue;
      let alpha = 1;
      if (q > 0) {
        const rho = sqrt(q);
        // Distance to the border along the ray from the centre, in pixels.
        const signedDistance = (rho - 1) * (sqrt(u * u + v * v) / rho);
        alpha = clamp(0.5 - signedDistance / edgePx, 0, 1);
        if (alpha === 0) continue;
      }
      huBuf[i] += (hu - huBuf[i]) * alpha;
      if (alpha >= 0.5) tissueBuf[i] = tissue;
    }
  }
}

/** Per-study variation that does not belong to the patient: contrast phase and bowel gas. */
interface StudyLook {
  contrast: number;
  /** Seed for per-structure coin flips (bowel gas, stomach gas) that change between studies. */
  studySeed: number;
}

function paintAnatomy(canvas: Canvas, anatomy: PatientAnatomy, look: StudyLook, z: number): void {
  const edgePx = 1;
  anatomy.structures.forEach((s, index) => {
    const section = sectionAt(s.keys, z);
    if (!section) return;
    if (s.presenceChance !== undefined && new Prng(hashSeed(look.studySeed, index, 1)).next() >= s.presenceChance) return;
    const paintsOver = s.paintsOver ?? ANY_TISSUE;
    paintEllipse(canvas, section, s.angle, s.hu + (s.contrastHu ?? 0) * look.contrast, s.tissue, paintsOver, edgePx);
    if (s.core) {
      const core = s.core;
      const inner = { x: section.x, y: section.y, rx: section.rx - core.insetMm, ry: section.ry - core.insetMm };
      if (inner.rx <= 0.5 || inner.ry <= 0.5) return;
      const gas = core.gasChance !== undefined && new Prng(hashSeed(look.studySeed, index, 2)).next() < core.gasChance;
      const hu = gas ? -1000 : core.hu + (core.contrastHu ?? 0) * look.contrast;
      paintEllipse(canvas, inner, s.angle, hu, core.tissue, 1 << s.tissue, edgePx);
    }
  });
}

/** The lesion's cross-section at z, or null where the slice misses the ellipsoid. */
function lesionSectionAt(lesion: SeriesLesion, z: number): Ellipse | null {
  const t = (z - lesion.center.z) / lesion.semiAxes.c;
  if (abs(t) >= 1) return null;
  const scale = sqrt(1 - t * t);
  return { x: lesion.center.x, y: lesion.center.y, rx: lesion.semiAxes.a * scale, ry: lesion.semiAxes.b * scale };
}

function paintLesion(canvas: Canvas, lesion: SeriesLesion, z: number): void {
  const section = lesionSectionAt(lesion, z);
  if (!section) return;
  const edgePx = lesion.edgeMm / canvas.spacing;
  if (lesion.rimHu === undefined) {
    paintEllipse(canvas, section, lesion.angle, lesion.hu, Tissue.LESION, ANY_TISSUE, edgePx);
    return;
  }
  paintEllipse(canvas, section, lesion.angle, lesion.rimHu, Tissue.LESION, ANY_TISSUE, edgePx);
  const core = { ...section, rx: section.rx * 0.72, ry: section.ry * 0.72 };
  paintEllipse(canvas, core, lesion.angle, lesion.hu, Tissue.LESION, mask(Tissue.LESION), edgePx * 1.5);
}

function newCanvas(series: Pick<SampleSeries, 'width' | 'height' | 'spacing' | 'bodyCenterPx'>): Canvas {
  const size = series.width * series.height;
  return {
    width: series.width,
    height: series.height,
    spacing: series.spacing.x,
    centerX: series.bodyCenterPx.x,
    centerY: series.bodyCenterPx.y,
    hu: new Float32Array(size).fill(-1000),
    tissue: new Uint8Array(size),
  };
}

/**
 * Standard normal values for image noise. Looking them up with the seeded generator is about ten
 * times faster than Box–Muller per pixel, and 65 536 distinct values look the same as true noise.
 */
const NOISE_TABLE_MASK = (1 << 16) - 1;
const NOISE_TABLE: Float32Array = (() => {
  const rng = new Prng(0x5eed);
  const table = new Float32Array(NOISE_TABLE_MASK + 1);
  for (let i = 0; i < table.length; i++) table[i] = rng.normal();
  return table;
})();

export function sliceZmm(series: SampleSeries, sliceIndex: number): number {
  return series.zStartMm + (sliceIndex - 1) * series.spacing.z;
}

export interface RenderOptions {
  /** Add the seeded Gaussian noise (default true). */
  noise?: boolean;
  /** Paint the series' lesions (default true). */
  lesions?: boolean;
}

/** HU and tissue label of every pixel of one slice (row-major, width × height). */
export function renderSliceLayers(series: SampleSeries, sliceIndex: number, options: RenderOptions = {}): { hu: Float32Array; tissue: Uint8Array } {
  if (!Number.isInteger(sliceIndex) || sliceIndex < 1 || sliceIndex > series.sliceCount) {
    throw new RangeError(`slice ${sliceIndex} is outside 1..${series.sliceCount} of series ${series.folderName}`);
  }
  const canvas = newCanvas(series);
  const z = sliceZmm(series, sliceIndex);
  paintAnatomy(canvas, series.anatomy, studyLook(series), z);
  if (options.lesions ?? true) {
    for (const lesion of series.lesions) paintLesion(canvas, lesion, z);
  }
  if (options.noise ?? true) {
    const rng = new Prng(hashSeed(series.datasetSeed, series.patientIndex, series.studyIndex, series.seriesId, sliceIndex));
    const { hu } = canvas;
    const sd = series.noiseSdHu;
    for (let i = 0; i < hu.length; i++) hu[i] += sd * NOISE_TABLE[rng.nextUint32() & NOISE_TABLE_MASK];
  }
  return { hu: canvas.hu, tissue: canvas.tissue };
}

/** The slice in HU (float). */
export function renderSliceHu(series: SampleSeries, sliceIndex: number, options: RenderOptions = {}): Float32Array {
  return renderSliceLayers(series, sliceIndex, options).hu;
}

/** The slice as DeepLesion stores it: 16-bit HU + 32768, HU clipped to the CT range [-1024, 3071]. */
export function renderSlice(series: SampleSeries, sliceIndex: number, options: RenderOptions = {}): Uint16Array {
  return huToStored(renderSliceHu(series, sliceIndex, options));
}

export function huToStored(hu: Float32Array): Uint16Array {
  const out = new Uint16Array(hu.length);
  for (let i = 0; i < hu.length; i++) out[i] = round(clamp(hu[i], -1024, 3071)) + DEEPLESION_HU_OFFSET;
  return out;
}

function studyLook(series: Pick<SampleSeries, 'datasetSeed' | 'patientIndex' | 'studyIndex' | 'contrast'>): StudyLook {
  return { contrast: series.contrast, studySeed: hashSeed(series.datasetSeed, series.patientIndex, series.studyIndex, 77) };
}

/** Key slice ± 2 of every lesion of the series, clipped to the series, deduplicated, ascending. */
export function seriesSliceIndexes(series: SampleSeries): number[] {
  const slices = new Set<number>();
  for (const lesion of series.lesions) {
    for (let s = lesion.keySliceIndex - 2; s <= lesion.keySliceIndex + 2; s++) {
      if (s >= 1 && s <= series.sliceCount) slices.add(s);
    }
  }
  return [...slices].sort((a, b) => a - b);
}

/** The distinct series of the cases, in case order. */
export function listSampleSeries(cases: readonly SampleCase[]): SampleSeries[] {
  return [...new Set(cases.map((c) => c.series))];
}

// ---------------------------------------------------------------------------------------------------
// Planning the dataset
// ---------------------------------------------------------------------------------------------------

interface LesionTypeSpec {
  /** Normalised z band where this kind of lesion is looked for. */
  zBand: [number, number];
  /** The lesion centre must fall on one of these tissues... */
  centerTissues: number;
  /** ...and at least `minInside` of its border (plus a margin) on these. */
  borderTissues: number;
  minInside: number;
  marginMm: number;
  diameterMm: [number, number];
  axisRatio: [number, number];
  window: 'soft' | 'lung' | 'bone';
  /** Kind name, core HU, optional rim HU. */
  draw(rng: Prng, diameterMm: number): { kind: string; hu: number; rimHu?: number; edgeMm?: number };
}

const LESION_TYPES: Record<LabelledCoarseType, LesionTypeSpec> = {
  1: {
    zBand: [0.2, 0.8],
    centerTissues: mask(Tissue.BONE_MARROW),
    borderTissues: mask(Tissue.BONE_MARROW, Tissue.BONE_CORTEX),
    minInside: 1,
    marginMm: 0.5,
    diameterMm: [8, 28],
    axisRatio: [0.65, 0.95],
    window: 'bone',
    draw: (rng) => (rng.chance(0.55) ? { kind: 'lytic bone lesion', hu: rng.uniform(50, 150) } : { kind: 'sclerotic bone lesion', hu: rng.uniform(500, 900) }),
  },
  2: {
    zBand: [0.47, 0.63],
    centerTissues: mask(Tissue.VISCERAL_FAT),
    borderTissues: mask(Tissue.VISCERAL_FAT, Tissue.BOWEL, Tissue.VESSEL),
    minInside: 0.75,
    marginMm: 1,
    diameterMm: [10, 50],
    axisRatio: [0.55, 0.9],
    window: 'soft',
    draw: (rng, d) => (d > 25 ? { kind: 'abdominal mass', hu: rng.uniform(35, 60), rimHu: rng.uniform(55, 75) } : { kind: 'abdominal lymph node', hu: rng.uniform(30, 55) }),
  },
  3: {
    zBand: [0.2, 0.36],
    centerTissues: mask(Tissue.MEDIASTINAL_FAT),
    borderTissues: mask(Tissue.MEDIASTINAL_FAT, Tissue.VESSEL, Tissue.HEART),
    minInside: 0.75,
    marginMm: 1,
    diameterMm: [10, 30],
    axisRatio: [0.5, 0.85],
    window: 'soft',
    draw: (rng) => ({ kind: 'mediastinal lymph node', hu: rng.uniform(30, 50) }),
  },
  4: {
    zBand: [0.4, 0.53],
    centerTissues: mask(Tissue.LIVER),
    borderTissues: mask(Tissue.LIVER, Tissue.VESSEL),
    minInside: 1,
    marginMm: 2,
    diameterMm: [8, 40],
    axisRatio: [0.7, 0.95],
    window: 'soft',
    draw: (rng) =>
      rng.chance(0.4)
        ? { kind: 'liver cyst', hu: rng.uniform(0, 15), edgeMm: 0.8 }
        : { kind: 'liver metastasis', hu: rng.uniform(20, 40), rimHu: rng.uniform(45, 60) },
  },
  5: {
    zBand: [0.2, 0.4],
    centerTissues: mask(Tissue.LUNG, Tissue.LUNG_VESSEL),
    borderTissues: mask(Tissue.LUNG, Tissue.LUNG_VESSEL),
    minInside: 1,
    marginMm: 2,
    diameterMm: [5, 30],
    axisRatio: [0.7, 0.95],
    window: 'lung',
    draw: (rng, d) => ({ kind: d > 20 ? 'lung mass' : 'lung nodule', hu: rng.uniform(-50, 60) }),
  },
  6: {
    zBand: [0.48, 0.555],
    centerTissues: mask(Tissue.KIDNEY, Tissue.RENAL_SINUS),
    borderTissues: mask(Tissue.KIDNEY, Tissue.RENAL_SINUS),
    minInside: 0.6,
    marginMm: 0,
    diameterMm: [10, 40],
    axisRatio: [0.75, 0.95],
    window: 'soft',
    draw: (rng) => (rng.chance(0.5) ? { kind: 'renal cyst', hu: rng.uniform(0, 20), edgeMm: 0.8 } : { kind: 'renal mass', hu: rng.uniform(30, 50) }),
  },
  7: {
    zBand: [0.2, 0.8],
    centerTissues: mask(Tissue.SUBCUTANEOUS_FAT, Tissue.MUSCLE),
    borderTissues: mask(Tissue.SUBCUTANEOUS_FAT, Tissue.MUSCLE),
    minInside: 0.85,
    marginMm: 0.5,
    diameterMm: [10, 40],
    axisRatio: [0.5, 0.9],
    window: 'soft',
    draw: (rng) => ({ kind: 'soft-tissue mass', hu: rng.uniform(20, 60) }),
  },
  8: {
    zBand: [0.67, 0.8],
    centerTissues: mask(Tissue.VISCERAL_FAT, Tissue.PELVIC_ORGAN),
    borderTissues: mask(Tissue.VISCERAL_FAT, Tissue.BOWEL, Tissue.PELVIC_ORGAN, Tissue.VESSEL, Tissue.MUSCLE),
    minInside: 0.75,
    marginMm: 1,
    diameterMm: [10, 40],
    axisRatio: [0.6, 0.9],
    window: 'soft',
    draw: (rng, d) => ({ kind: d > 22 ? 'pelvic mass' : 'pelvic lymph node', hu: rng.uniform(20, 50) }),
  },
};

/** Relative frequency of types beyond the minimum, roughly DeepLesion's mix (lung, abdomen, mediastinum, liver lead). */
const TYPE_WEIGHTS: ReadonlyArray<readonly [LabelledCoarseType, number]> = [
  [1, 0.05],
  [2, 0.22],
  [3, 0.17],
  [4, 0.13],
  [5, 0.22],
  [6, 0.07],
  [7, 0.08],
  [8, 0.06],
];
const MIN_ROWS_PER_TYPE = 4;

interface PatientPlan {
  index: number;
  gender: 'M' | 'F';
  birthDay: number;
  split: 1 | 2 | 3;
  anatomy: PatientAnatomy;
  studies: StudyPlan[];
  lesions: LesionIdentity[];
  rng: Prng;
  /** Seeds the growth model apart from `rng`, so drawing it changes nothing else in the sample. */
  growthSeed: number;
}

interface StudyPlan {
  index: number;
  /** Days since 1970-01-01 (UTC). */
  day: number;
  seriesId: number;
  spacingXY: number;
  bodyCenterPx: { x: number; y: number };
  contrast: number;
  noiseSdHu: number;
  softWindow: [number, number];
}

/** A lesion of a patient, placed once and seen again in follow-up studies. */
interface LesionIdentity {
  uid: string;
  /** Study indexes (1-based) the lesion is measured in. */
  seenIn: number[];
  type: LabelledCoarseType;
  kind: string;
  hu: number;
  rimHu?: number;
  edgeMm: number;
  center: { x: number; y: number; z: number };
  a: number;
  b: number;
  angle: number;
}

const DAY_MS = 86_400_000;

export function planSampleDataset(options: SampleDatasetOptions): SampleCase[] {
  const patientCount = options.patients ?? DEFAULT_SAMPLE_PATIENTS;
  if (!Number.isInteger(patientCount) || patientCount < 1) throw new RangeError(`patients must be a positive integer, got ${patientCount}`);
  const root = new Prng(options.seed);
  const patients: PatientPlan[] = [];
  for (let p = 1; p <= patientCount; p++) patients.push(drawPatient(root.derive(p), p));
  assignSplits(root.derive(-1), patients);
  if (patientCount >= 2 && patients.every((p) => p.gender === patients[0].gender)) {
    // Both genders must appear; redrawing one patient keeps everyone else as they were.
    const last = patients[patientCount - 1];
    patients[patientCount - 1] = drawPatient(root.derive(last.index), last.index, last.gender === 'M' ? 'F' : 'M');
    patients[patientCount - 1].split = last.split;
  }
  assignLesionTypes(root.derive(-2), patients);
  for (const patient of patients) placeLesions(patient);
  const cases = patients.flatMap((patient) => buildCases(patient, options.seed));
  markUnlabelledAndNoisy(root.derive(-3), cases);
  return cases;
}

function drawPatient(rng: Prng, index: number, forceGender?: 'M' | 'F'): PatientPlan {
  const coin = rng.chance(0.5);
  const gender = forceGender ?? (coin ? 'M' : 'F');
  const firstStudyDay = floor(Date.UTC(2004, 0, 1) / DAY_MS) + rng.int(0, 365 * 10);
  const ageAtFirst = rng.int(18, 86);
  const birthDay = firstStudyDay - floor(ageAtFirst * 365.25) - rng.int(0, 364);
  const anatomy = buildPatientAnatomy(rng.derive(1), index, gender, ageAtFirst);
  const studyCount = rng.weighted([
    [1, 0.45],
    [2, 0.35],
    [3, 0.2],
  ] as const);
  const maxHalfWidth = max(...anatomy.bodyKeys.map((k) => k.rx));
  const maxHalfDepth = max(...anatomy.bodyKeys.map((k) => k.ry));
  const studies: StudyPlan[] = [];
  let day = firstStudyDay;
  for (let s = 1; s <= studyCount; s++) {
    if (s > 1) day += rng.int(60, 420);
    // Reconstruction field of view: what the scanner used, never tighter than the body.
    const fovMm = clamp(max(rng.uniform(310, 460), 2 * maxHalfWidth * 1.06 + 10), 310, 460);
    const spacingXY = round6(fovMm / SAMPLE_IMAGE_SIZE);
    const halfHeightPx = maxHalfDepth / spacingXY;
    const centerY = clamp(256 + rng.int(-10, 14), ceil(halfHeightPx) + 6, SAMPLE_IMAGE_SIZE - ceil(halfHeightPx) - 7);
    studies.push({
      index: s,
      day,
      seriesId: rng.chance(0.15) ? 2 : 1,
      spacingXY,
      bodyCenterPx: { x: 256 + rng.int(-6, 6), y: centerY },
      contrast: rng.chance(0.25) ? 0 : rng.uniform(0.5, 1),
      noiseSdHu: rng.uniform(8, 15),
      softWindow: rng.pick([
        [-175, 275],
        [-160, 240],
      ] as Array<[number, number]>),
    });
  }
  const lesionCount = rng.weighted([
    [1, 0.45],
    [2, 0.35],
    [3, 0.2],
  ] as const);
  const lesions: LesionIdentity[] = [];
  for (let l = 1; l <= lesionCount; l++) {
    const seenIn = [1];
    for (let s = 2; s <= studyCount; s++) if (rng.chance(0.8)) seenIn.push(s);
    // Type, look and geometry are filled in by assignLesionTypes and placeLesions (a = 0: not placed yet).
    lesions.push({ uid: `P${pad(index, 6)}-L${l}`, seenIn, type: 5, kind: '', hu: 0, edgeMm: 1, center: { x: 0, y: 0, z: 0 }, a: 0, b: 0, angle: 0 });
  }
  // Every follow-up study shows at least one lesion (otherwise it would not be in DeepLesion).
  for (let s = 2; s <= studyCount; s++) {
    if (!lesions.some((l) => l.seenIn.includes(s))) lesions[0].seenIn.push(s);
  }
  return { index, gender, birthDay, split: 1, anatomy, studies, lesions, rng: rng.derive(2), growthSeed: rng.derive(3).int(1, 2 ** 30) };
}

/** Train/val/test by patient, about 70/15/15, each split used at least once when there are 3+ patients. */
function assignSplits(rng: Prng, patients: PatientPlan[]): void {
  const n = patients.length;
  let val = round(n * 0.15);
  let test = round(n * 0.15);
  if (n >= 3) {
    val = max(1, val);
    test = max(1, test);
  }
  const order = rng.shuffle(patients.map((_, i) => i));
  order.forEach((patientPosition, rank) => {
    patients[patientPosition].split = rank < n - val - test ? 1 : rank < n - test ? 2 : 3;
  });
}

/** Types go to lesions so that every type reaches MIN_ROWS_PER_TYPE rows first; the rest follow TYPE_WEIGHTS. */
function assignLesionTypes(rng: Prng, patients: PatientPlan[]): void {
  const rowsPerType = new Map<LabelledCoarseType, number>(LABELLED_COARSE_TYPES.map((t) => [t, 0]));
  const identities = rng.shuffle(patients.flatMap((p) => p.lesions));
  for (const lesion of identities) {
    const lacking = LABELLED_COARSE_TYPES.filter((t) => rowsPerType.get(t)! < MIN_ROWS_PER_TYPE);
    const type = lacking.length > 0 ? lacking.reduce((best, t) => (rowsPerType.get(t)! < rowsPerType.get(best)! ? t : best)) : rng.weighted(TYPE_WEIGHTS);
    lesion.type = type;
    rowsPerType.set(type, rowsPerType.get(type)! + lesion.seenIn.length);
  }
}

/** A frame to test where a lesion would land: the patient's first study, without noise. */
function placementCanvas(patient: PatientPlan, study: StudyPlan, z: number): Canvas {
  const canvas = newCanvas({ width: SAMPLE_IMAGE_SIZE, height: SAMPLE_IMAGE_SIZE, spacing: { x: study.spacingXY, y: study.spacingXY, z: 1 }, bodyCenterPx: study.bodyCenterPx });
  paintAnatomy(canvas, patient.anatomy, { contrast: study.contrast, studySeed: 0 }, z);
  return canvas;
}

function tissueAtMm(canvas: Canvas, x: number, y: number): number {
  const px = round(canvas.centerX + x / canvas.spacing);
  const py = round(canvas.centerY + y / canvas.spacing);
  if (px < 0 || py < 0 || px >= canvas.width || py >= canvas.height) return Tissue.AIR;
  return canvas.tissue[py * canvas.width + px];
}

const BONE = mask(Tissue.BONE_CORTEX, Tissue.BONE_MARROW, Tissue.DISC);
const LUNG_SPACE = mask(Tissue.LUNG, Tissue.LUNG_VESSEL);

/** Tissues a lesion of this type must not touch at all: outside the body, the airway, and bone or lung unless it is a bone or lung lesion. */
function forbiddenTissues(type: LabelledCoarseType): number {
  return mask(Tissue.AIR, Tissue.AIRWAY) | (type === 1 ? 0 : BONE) | (type === 5 ? 0 : LUNG_SPACE);
}

/**
 * Share of the lesion border (grown by the type's margin) lying on the type's tissues; 0 if the centre
 * misses them, -1 if the lesion touches a forbidden tissue.
 */
function insideShare(canvas: Canvas, type: LabelledCoarseType, x: number, y: number, a: number, b: number, angle: number): number {
  const spec = LESION_TYPES[type];
  const forbidden = forbiddenTissues(type);
  if ((spec.centerTissues & (1 << tissueAtMm(canvas, x, y))) === 0) return 0;
  const cosA = cos(angle);
  const sinA = sin(angle);
  let inside = 0;
  const points = 24;
  for (let k = 0; k < points; k++) {
    const phi = (2 * PI * k) / points;
    for (const scale of [0.55, 1]) {
      const u = (a * scale + spec.marginMm) * cos(phi);
      const v = (b * scale + spec.marginMm) * sin(phi);
      const t = tissueAtMm(canvas, x + u * cosA - v * sinA, y + u * sinA + v * cosA);
      if (forbidden & (1 << t)) return -1;
      if (scale === 1 && (spec.borderTissues & (1 << t)) !== 0) inside++;
    }
  }
  return inside / points;
}

/** Lesions reach along z up to 2.3 slices of the thickest spacing (see buildCases); keep them apart by that too. */
const MAX_LESION_HALF_LENGTH_MM = 2.3 * 5;

function overlapsOther(lesion: LesionIdentity, others: readonly LesionIdentity[], x: number, y: number, z: number, a: number): boolean {
  const reach = (r: number) => max(r * 1.3, MAX_LESION_HALF_LENGTH_MM);
  return others.some(
    (o) => o !== lesion && o.a > 0 && abs(o.center.z - z) < reach(o.a) + reach(a) + 5 && hypot(o.center.x - x, o.center.y - y) < (o.a + a) * 1.3 + 5,
  );
}

/** A key slice lands up to half a slice (2.5 mm) from the planned z, so the centre must hold its tissue 3 mm up and down too. */
const KEY_SLICE_SNAP_MM = 3;

/** Puts each lesion inside its organ: random z in the type's band, random pixel of the right tissue, border check. */
function placeLesions(patient: PatientPlan): void {
  const rng = patient.rng;
  const study = patient.studies[0];
  const L = patient.anatomy.bodyLengthMm;
  for (const lesion of patient.lesions) {
    const spec = LESION_TYPES[lesion.type];
    const canvases = new Map<number, Canvas>();
    const canvasAt = (z: number): Canvas => {
      let canvas = canvases.get(z);
      if (!canvas) canvases.set(z, (canvas = placementCanvas(patient, study, z)));
      return canvas;
    };
    const centreHoldsAlongZ = (x: number, y: number, z: number) =>
      [-KEY_SLICE_SNAP_MM, KEY_SLICE_SNAP_MM].every((dz) => (spec.centerTissues & (1 << tissueAtMm(canvasAt(z + dz), x, y))) !== 0);

    let diameter = spec.diameterMm[0] + (spec.diameterMm[1] - spec.diameterMm[0]) * rng.next() ** 1.4;
    const ratio = rng.uniform(spec.axisRatio[0], spec.axisRatio[1]);
    // Score 2 = border inside and the centre holds along z; lower scores are kept only as a fallback.
    let best: { score: number; x: number; y: number; z: number; a: number; angle: number } | null = null;
    for (let attempt = 0; attempt < 30 && !(best && best.score >= 2); attempt++) {
      // Shrink after repeated misses: small organs at the chosen level may not fit a large lesion.
      if (attempt > 0 && attempt % 3 === 0) diameter = max(spec.diameterMm[0], diameter * 0.8);
      const z = rng.uniform(spec.zBand[0], spec.zBand[1]) * L;
      const canvas = canvasAt(z);
      const candidates: number[] = [];
      for (let i = 0; i < canvas.tissue.length; i++) if (spec.centerTissues & (1 << canvas.tissue[i])) candidates.push(i);
      if (candidates.length === 0) continue;
      const a = diameter / 2;
      for (let k = 0; k < 40; k++) {
        const i = rng.pick(candidates);
        const x = ((i % canvas.width) - canvas.centerX) * canvas.spacing;
        const y = (floor(i / canvas.width) - canvas.centerY) * canvas.spacing;
        const angle = rng.uniform(0, PI);
        if (overlapsOther(lesion, patient.lesions, x, y, z, a)) continue;
        const share = insideShare(canvas, lesion.type, x, y, a, a * ratio, angle);
        if (share < 0) continue;
        const score = (share >= spec.minInside ? 1 : share) + (share > 0 && centreHoldsAlongZ(x, y, z) ? 1 : 0);
        if (!best || score > best.score) best = { score, x, y, z, a, angle };
        if (score >= 2) break;
      }
    }
    if (!best) throw new Error(`could not place a ${COARSE_LESION_TYPE_NAMES[lesion.type]} lesion for patient ${patient.index}`);
    const look = spec.draw(rng, best.a * 2);
    Object.assign(lesion, {
      kind: look.kind,
      hu: look.hu,
      rimHu: look.rimHu,
      edgeMm: look.edgeMm ?? clamp(best.a * ratio * 0.25, 0.8, 2),
      center: { x: best.x, y: best.y, z: best.z },
      a: best.a,
      b: best.a * ratio,
      angle: best.angle,
    });
  }
}

/** The lesion's growth model (see LesionGrowth), drawn from the patient's growth seed and the lesion. */
function growthOf(patient: PatientPlan, lesion: LesionIdentity): LesionGrowth {
  return drawLesionGrowth(new Prng(hashSeed(patient.growthSeed, patient.lesions.indexOf(lesion) + 1)), lesion.kind);
}

/**
 * The lesion in a later study: same place (within 1.5 mm), size changed by its growth model over the
 * days since the first study, slightly turned. Growth is halved until the lesion still fits its organ
 * as well as it did at baseline.
 */
function followUpGeometry(patient: PatientPlan, lesion: LesionIdentity, study: StudyPlan, keyZ: number): { scale: number; dx: number; dy: number; angle: number; huShift: number } {
  const rng = patient.rng;
  const spec = LESION_TYPES[lesion.type];
  // Drawn and unused: it was the size change before the growth model; keeping the draw keeps every other
  // random choice of the sample (positions, spacing, noise) as it was.
  rng.uniform(0.7, 1.3);
  const growth = growthOf(patient, lesion);
  const noise = new Prng(hashSeed(patient.growthSeed, patient.lesions.indexOf(lesion) + 1, study.index)).uniform(-GROWTH_NOISE, GROWTH_NOISE);
  const days = study.day - patient.studies[0].day;
  const drawnScale = clamp(Math.exp(growth.logRatePerDay * days) * (1 + noise), GROWTH_SCALE_LIMITS[0], GROWTH_SCALE_LIMITS[1]);
  const jitter = { x: rng.uniform(-1.5, 1.5), y: rng.uniform(-1.5, 1.5) };
  const angle = lesion.angle + rng.uniform(-0.2, 0.2);
  const huShift = lesion.type === 1 ? rng.uniform(-30, 30) : rng.uniform(-5, 5);
  const canvas = placementCanvas(patient, study, keyZ);
  const { x, y } = lesion.center;
  const required = min(spec.minInside, insideShare(canvas, lesion.type, x, y, lesion.a, lesion.b, lesion.angle));
  const fits = (scale: number, dx: number, dy: number) => insideShare(canvas, lesion.type, x + dx, y + dy, lesion.a * scale, lesion.b * scale, angle) >= required;
  let scale = drawnScale;
  while (scale > 1.02 && !fits(scale, 0, 0)) scale = 1 + (scale - 1) / 2;
  if (!fits(scale, 0, 0)) scale = min(scale, 0.9);
  const moved = fits(scale, jitter.x, jitter.y);
  return { scale, dx: moved ? jitter.x : 0, dy: moved ? jitter.y : 0, angle, huShift };
}

function buildCases(patient: PatientPlan, datasetSeed: number): SampleCase[] {
  const rng = patient.rng;
  const cases: SampleCase[] = [];
  const L = patient.anatomy.bodyLengthMm;
  for (const study of patient.studies) {
    const present = patient.lesions.filter((l) => l.seenIn.includes(study.index));
    // Slice thickness: mostly 5 mm; thin slices only when the series need not span the whole trunk.
    const zs = present.map((l) => l.center.z);
    const spanMm = max(...zs) - min(...zs);
    let spacingZ = rng.weighted([
      [5, 0.5],
      [2.5, 0.3],
      [1, 0.2],
    ] as const) as number;
    if (spacingZ === 1 && spanMm > 250) spacingZ = 2.5;
    const zStartMm = round6(min(...zs) - 3 * spacingZ - rng.uniform(5, 100));
    const zEndMm = max(...zs) + 3 * spacingZ + rng.uniform(5, 100);
    const sliceCount = round((zEndMm - zStartMm) / spacingZ) + 1;
    const placed = present.map((lesion) => {
      const keySliceIndex = round((lesion.center.z - zStartMm) / spacingZ) + 1;
      const keyZ = zStartMm + (keySliceIndex - 1) * spacingZ;
      const g = study.index === 1 ? { scale: 1, dx: 0, dy: 0, angle: lesion.angle, huShift: 0 } : followUpGeometry(patient, lesion, study, keyZ);
      return { lesion, keySliceIndex, ...g };
    });
    const folderName = `${pad(patient.index, 6)}_${pad(study.index, 2)}_${pad(study.seriesId, 2)}`;
    const series: SampleSeries = {
      datasetSeed,
      patientIndex: patient.index,
      studyIndex: study.index,
      seriesId: study.seriesId,
      folderName,
      width: SAMPLE_IMAGE_SIZE,
      height: SAMPLE_IMAGE_SIZE,
      spacing: { x: study.spacingXY, y: study.spacingXY, z: spacingZ },
      zStartMm,
      sliceCount,
      bodyCenterPx: study.bodyCenterPx,
      contrast: study.contrast,
      noiseSdHu: study.noiseSdHu,
      anatomy: patient.anatomy,
      lesions: [],
    };
    for (const p of placed) {
      const { lesion, keySliceIndex } = p;
      const a = lesion.a * p.scale;
      const b = lesion.b * p.scale;
      // Along z at least 2.3 slices, so key ± 1 and ± 2 still show a (smaller) lesion.
      const c = max(((a + b) / 2) * 0.95, 2.3 * spacingZ);
      const seriesLesion: SeriesLesion = {
        lesionUid: lesion.uid,
        keySliceIndex,
        center: { x: lesion.center.x + p.dx, y: lesion.center.y + p.dy, z: sliceZmm(series, keySliceIndex) },
        semiAxes: { a, b, c },
        angle: p.angle,
        hu: lesion.hu + p.huShift,
        rimHu: lesion.rimHu === undefined ? undefined : lesion.rimHu + p.huShift,
        edgeMm: lesion.edgeMm,
      };
      series.lesions.push(seriesLesion);
      cases.push(describeCase(patient, study, series, seriesLesion, lesion, L));
    }
  }
  return cases.sort((x, y) => x.studyIndex - y.studyIndex || x.keySliceIndex - y.keySliceIndex);
}

function describeCase(patient: PatientPlan, study: StudyPlan, series: SampleSeries, sl: SeriesLesion, lesion: LesionIdentity, bodyLengthMm: number): SampleCase {
  const s = series.spacing.x;
  const cx = series.bodyCenterPx.x + sl.center.x / s;
  const cy = series.bodyCenterPx.y + sl.center.y / s;
  const a = sl.semiAxes.a / s;
  const b = sl.semiAxes.b / s;
  const cosA = cos(sl.angle);
  const sinA = sin(sl.angle);
  const recist = [cx - a * cosA, cy - a * sinA, cx + a * cosA, cy + a * sinA, cx + b * sinA, cy - b * cosA, cx - b * sinA, cy + b * cosA].map(round6) as SampleCase['measurementCoordinates'];
  const longAxis = round6(hypot(recist[2] - recist[0], recist[3] - recist[1]));
  const shortAxis = round6(hypot(recist[6] - recist[4], recist[7] - recist[5]));
  const xs = [recist[0], recist[2], recist[4], recist[6]];
  const ys = [recist[1], recist[3], recist[5], recist[7]];
  const pad5 = 5;
  const box: SampleCase['boundingBox'] = [
    round6(clamp(min(...xs) - pad5, 0, series.width - 1)),
    round6(clamp(min(...ys) - pad5, 0, series.height - 1)),
    round6(clamp(max(...xs) + pad5, 0, series.width - 1)),
    round6(clamp(max(...ys) + pad5, 0, series.height - 1)),
  ];
  const outline = sectionAt(patient.anatomy.bodyKeys, sl.center.z)!;
  const normalizedLocation: SampleCase['normalizedLocation'] = [
    round6(clamp((sl.center.x + outline.rx) / (2 * outline.rx), 0, 1)),
    round6(clamp((sl.center.y + outline.ry) / (2 * outline.ry), 0, 1)),
    round6(clamp(sl.center.z / bodyLengthMm, 0, 1)),
  ];
  const spec = LESION_TYPES[lesion.type];
  const window: [number, number] = spec.window === 'lung' ? [-1500, 500] : spec.window === 'bone' ? [-500, 1300] : [...study.softWindow];
  const key = sl.keySliceIndex;
  return {
    fileName: `${series.folderName}_${pad(key, 3)}.png`,
    patientIndex: patient.index,
    studyIndex: study.index,
    seriesId: study.seriesId,
    keySliceIndex: key,
    lesionUid: lesion.uid,
    coarseType: lesion.type,
    anatomicalType: lesion.type,
    lesionKind: lesion.kind,
    lesionHu: round6(sl.hu),
    measurementCoordinates: recist,
    boundingBox: box,
    lesionDiameters: [longAxis, shortAxis],
    normalizedLocation,
    possiblyNoisy: 0,
    sliceRange: [max(1, key - 2), min(series.sliceCount, key + 2)],
    spacing: [series.spacing.x, series.spacing.y, series.spacing.z],
    imageSize: [series.width, series.height],
    dicomWindow: window,
    gender: patient.gender,
    age: ageOn(patient.birthDay, study.day),
    split: patient.split,
    studyDate: new Date(study.day * DAY_MS).toISOString().slice(0, 10),
    growth: growthOf(patient, lesion),
    series,
  };
}

/** A few rows lose their type (-1) and a few are flagged Possibly_noisy, never pushing a type below the minimum. */
function markUnlabelledAndNoisy(rng: Prng, cases: SampleCase[]): void {
  const wanted = min(rng.int(2, 3), floor(cases.length / 10));
  const rowsPerType = new Map<CoarseLesionType, number>();
  for (const c of cases) rowsPerType.set(c.coarseType, (rowsPerType.get(c.coarseType) ?? 0) + 1);
  let unlabelled = 0;
  for (const c of rng.shuffle(cases)) {
    if (unlabelled >= wanted) break;
    if (rowsPerType.get(c.coarseType)! > MIN_ROWS_PER_TYPE) {
      rowsPerType.set(c.coarseType, rowsPerType.get(c.coarseType)! - 1);
      c.coarseType = -1;
      unlabelled++;
    }
  }
  const noisy = round(cases.length * 0.04);
  for (const c of rng.shuffle(cases).slice(0, noisy)) c.possiblyNoisy = 1;
}

function ageOn(birthDay: number, day: number): number {
  const birth = new Date(birthDay * DAY_MS);
  const at = new Date(day * DAY_MS);
  let age = at.getUTCFullYear() - birth.getUTCFullYear();
  if (at.getUTCMonth() < birth.getUTCMonth() || (at.getUTCMonth() === birth.getUTCMonth() && at.getUTCDate() < birth.getUTCDate())) age--;
  return age;
}

// ---------------------------------------------------------------------------------------------------
// DL_info.csv
// ---------------------------------------------------------------------------------------------------

/** DL_info.csv text for the cases: header, one row per lesion, list fields quoted with ", " separators. */
export function formatDlInfoCsv(cases: readonly SampleCase[]): string {
  const list = (values: readonly number[]) => `"${values.map(formatNumber).join(', ')}"`;
  const lines = cases.map((c) =>
    [
      c.fileName,
      String(c.patientIndex),
      String(c.studyIndex),
      String(c.seriesId),
      String(c.keySliceIndex),
      list(c.measurementCoordinates),
      list(c.boundingBox),
      list(c.lesionDiameters),
      list(c.normalizedLocation),
      String(c.coarseType),
      String(c.possiblyNoisy),
      list(c.sliceRange),
      list(c.spacing),
      list(c.imageSize),
      list(c.dicomWindow),
      c.gender,
      String(c.age),
      String(c.split),
    ].join(','),
  );
  return [DL_INFO_HEADER.join(','), ...lines].join('\n') + '\n';
}

/** Up to 6 significant digits, as DeepLesion writes them ("0.488281", "233.537", "5"). */
function formatNumber(value: number): string {
  const rounded = round6(value);
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

function round6(value: number): number {
  return Number(value.toPrecision(6));
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
