/** Plans the dataset: patients, studies, series and lesions, all drawn from the seed. */
import { hashSeed, Prng } from '../prng';
import { buildPatientAnatomy } from './anatomy';
import { pad, round6 } from './csv';
import { clamp, mask, PatientAnatomy, sectionAt } from './geometry';
import {
  COARSE_LESION_TYPE_NAMES,
  CoarseLesionType,
  DEFAULT_SAMPLE_PATIENTS,
  drawLesionGrowth,
  GROWTH_NOISE,
  GROWTH_SCALE_LIMITS,
  LABELLED_COARSE_TYPES,
  LabelledCoarseType,
  LesionGrowth,
  SAMPLE_IMAGE_SIZE,
  SampleCase,
  SampleDatasetOptions,
  SampleSeries,
  SeriesLesion,
  Tissue,
} from './model';
import { Canvas, newCanvas, paintAnatomy, sliceZmm } from './rendering';

/** Jest runs tests in a vm context where each global lookup is slow; local copies keep the pixel loops fast there. */
const { PI, abs, ceil, cos, floor, hypot, max, min, round, sin } = Math;

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
    draw: (rng, d) =>
      d > 25 ? { kind: 'abdominal mass', hu: rng.uniform(35, 60), rimHu: rng.uniform(55, 75) } : { kind: 'abdominal lymph node', hu: rng.uniform(30, 55) },
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
  const canvas = newCanvas({
    width: SAMPLE_IMAGE_SIZE,
    height: SAMPLE_IMAGE_SIZE,
    spacing: { x: study.spacingXY, y: study.spacingXY, z: 1 },
    bodyCenterPx: study.bodyCenterPx,
  });
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
function followUpGeometry(
  patient: PatientPlan,
  lesion: LesionIdentity,
  study: StudyPlan,
  keyZ: number,
): { scale: number; dx: number; dy: number; angle: number; huShift: number } {
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
  const fits = (scale: number, dx: number, dy: number) =>
    insideShare(canvas, lesion.type, x + dx, y + dy, lesion.a * scale, lesion.b * scale, angle) >= required;
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

function describeCase(
  patient: PatientPlan,
  study: StudyPlan,
  series: SampleSeries,
  sl: SeriesLesion,
  lesion: LesionIdentity,
  bodyLengthMm: number,
): SampleCase {
  const s = series.spacing.x;
  const cx = series.bodyCenterPx.x + sl.center.x / s;
  const cy = series.bodyCenterPx.y + sl.center.y / s;
  const a = sl.semiAxes.a / s;
  const b = sl.semiAxes.b / s;
  const cosA = cos(sl.angle);
  const sinA = sin(sl.angle);
  const recist = [cx - a * cosA, cy - a * sinA, cx + a * cosA, cy + a * sinA, cx + b * sinA, cy - b * cosA, cx - b * sinA, cy + b * cosA].map(
    round6,
  ) as SampleCase['measurementCoordinates'];
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
