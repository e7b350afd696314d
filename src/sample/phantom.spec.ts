import { parseCsv } from '../deeplesion/csv';
import {
  COARSE_LESION_TYPE_NAMES,
  DEEPLESION_HU_OFFSET,
  DL_INFO_HEADER,
  formatDlInfoCsv,
  huToStored,
  LABELLED_COARSE_TYPES,
  LabelledCoarseType,
  listSampleSeries,
  planSampleDataset,
  renderSlice,
  renderSliceHu,
  renderSliceLayers,
  SampleCase,
  seriesSliceIndexes,
  Tissue,
} from './phantom';

const SEED = 20181022;
const SIZE = 512;

const numbers = (field: string) => field.split(', ').map(Number);

/** Mean HU of the pixels of `hu` where `select(index)` holds. */
function meanWhere(hu: Float32Array, select: (i: number) => boolean): { mean: number; count: number } {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < hu.length; i++) {
    if (select(i)) {
      sum += hu[i];
      count++;
    }
  }
  return { mean: count ? sum / count : NaN, count };
}

/** Mean HU within `radius` px of (x, y). */
function meanInDisc(hu: Float32Array, x: number, y: number, radius: number): number {
  let sum = 0;
  let count = 0;
  for (let py = Math.floor(y - radius); py <= Math.ceil(y + radius); py++) {
    for (let px = Math.floor(x - radius); px <= Math.ceil(x + radius); px++) {
      if ((px - x) ** 2 + (py - y) ** 2 > radius * radius) continue;
      sum += hu[py * SIZE + px];
      count++;
    }
  }
  return sum / count;
}

const sameArray = (a: Uint16Array, b: Uint16Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function lesionCentre(c: SampleCase): { x: number; y: number } {
  const [x1, y1, x2, y2] = c.measurementCoordinates;
  return { x: (x1 + x2) / 2, y: (y1 + y2) / 2 };
}

/** Pixels labelled LESION inside the case's bounding box. */
function lesionArea(tissue: Uint8Array, c: SampleCase): number {
  const [x1, y1, x2, y2] = c.boundingBox.map(Math.round);
  let area = 0;
  for (let y = y1; y <= y2; y++) for (let x = x1; x <= x2; x++) if (tissue[y * SIZE + x] === Tissue.LESION) area++;
  return area;
}

/** Tissues a lesion of each type is meant to sit in (its centre, before the lesion is painted). */
const HOME_TISSUES: Record<LabelledCoarseType, number[]> = {
  1: [Tissue.BONE_MARROW],
  2: [Tissue.VISCERAL_FAT],
  3: [Tissue.MEDIASTINAL_FAT],
  4: [Tissue.LIVER],
  5: [Tissue.LUNG, Tissue.LUNG_VESSEL],
  6: [Tissue.KIDNEY, Tissue.RENAL_SINUS],
  7: [Tissue.SUBCUTANEOUS_FAT, Tissue.MUSCLE],
  8: [Tissue.VISCERAL_FAT, Tissue.PELVIC_ORGAN],
};

/** Planned once for the whole file (about a second). */
let cases: SampleCase[];
beforeAll(() => {
  cases = planSampleDataset({ seed: SEED, patients: 24 });
});

describe('planSampleDataset', () => {
  it('is deterministic for a seed and changes with the seed', () => {
    const small = planSampleDataset({ seed: SEED, patients: 6 });
    const again = planSampleDataset({ seed: SEED, patients: 6 });
    expect(formatDlInfoCsv(again)).toBe(formatDlInfoCsv(small));
    expect(again.map((c) => c.lesionUid)).toEqual(small.map((c) => c.lesionUid));
    expect(formatDlInfoCsv(planSampleDataset({ seed: SEED + 1, patients: 6 }))).not.toBe(formatDlInfoCsv(small));
  });

  it('has about 60–90 lesions on 250–400 slices', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(cases.length).toBeLessThanOrEqual(90);
    const slices = listSampleSeries(cases).reduce((n, s) => n + seriesSliceIndexes(s).length, 0);
    expect(slices).toBeGreaterThanOrEqual(250);
    expect(slices).toBeLessThanOrEqual(400);
  });

  it('uses every coarse type at least 4 times, plus 2–3 unlabelled lesions', () => {
    for (const type of LABELLED_COARSE_TYPES) {
      const rows = cases.filter((c) => c.coarseType === type).length;
      expect({ type: COARSE_LESION_TYPE_NAMES[type], atLeast4: rows >= 4 }).toEqual({ type: COARSE_LESION_TYPE_NAMES[type], atLeast4: true });
    }
    const unlabelled = cases.filter((c) => c.coarseType === -1);
    expect(unlabelled.length).toBeGreaterThanOrEqual(2);
    expect(unlabelled.length).toBeLessThanOrEqual(3);
    for (const c of cases) if (c.coarseType !== -1) expect(c.coarseType).toBe(c.anatomicalType);
  });

  it('splits by patient into train/val/test, both genders, plausible ages that grow over follow-up', () => {
    const byPatient = new Map<number, SampleCase[]>();
    for (const c of cases) byPatient.set(c.patientIndex, [...(byPatient.get(c.patientIndex) ?? []), c]);
    expect(byPatient.size).toBe(24);
    expect(new Set(cases.map((c) => c.split))).toEqual(new Set([1, 2, 3]));
    expect(new Set(cases.map((c) => c.gender))).toEqual(new Set(['M', 'F']));
    const trainPatients = [...byPatient.values()].filter((rows) => rows[0].split === 1).length;
    expect(trainPatients / byPatient.size).toBeGreaterThan(0.55);
    expect(trainPatients / byPatient.size).toBeLessThan(0.85);
    for (const rows of byPatient.values()) {
      expect(new Set(rows.map((c) => c.split)).size).toBe(1);
      expect(new Set(rows.map((c) => c.gender)).size).toBe(1);
      const studies = [...new Map(rows.map((c) => [c.studyIndex, c])).values()].sort((a, b) => a.studyIndex - b.studyIndex);
      expect(studies.length).toBeGreaterThanOrEqual(1);
      expect(studies.length).toBeLessThanOrEqual(3);
      for (let i = 1; i < studies.length; i++) {
        expect(studies[i].studyDate > studies[i - 1].studyDate).toBe(true);
        expect(studies[i].age).toBeGreaterThanOrEqual(studies[i - 1].age);
      }
      for (const c of rows) {
        expect(c.age).toBeGreaterThanOrEqual(18);
        expect(c.age).toBeLessThanOrEqual(90);
      }
    }
    const noisy = cases.filter((c) => c.possiblyNoisy === 1).length;
    expect(noisy).toBeGreaterThan(0);
    expect(noisy).toBeLessThan(cases.length * 0.1);
  });

  it('has one series per study (Series_ID 1 or 2) holding 1–3 lesions', () => {
    const seriesPerStudy = new Map<string, Set<number>>();
    for (const c of cases) {
      const key = `${c.patientIndex}/${c.studyIndex}`;
      seriesPerStudy.set(key, (seriesPerStudy.get(key) ?? new Set()).add(c.seriesId));
      expect([1, 2]).toContain(c.seriesId);
    }
    for (const ids of seriesPerStudy.values()) expect(ids.size).toBe(1);
    for (const series of listSampleSeries(cases)) {
      expect(series.lesions.length).toBeGreaterThanOrEqual(1);
      expect(series.lesions.length).toBeLessThanOrEqual(3);
    }
  });

  it('shows the same lesion again in follow-up studies, at the same place, its size following the growth model', () => {
    const byUid = new Map<string, SampleCase[]>();
    for (const c of cases) byUid.set(c.lesionUid, [...(byUid.get(c.lesionUid) ?? []), c]);
    const followed = [...byUid.values()].filter((rows) => rows.length > 1);
    expect(followed.length).toBeGreaterThanOrEqual(5);
    for (const rows of followed) {
      expect(new Set(rows.map((c) => c.patientIndex)).size).toBe(1);
      expect(new Set(rows.map((c) => c.studyIndex)).size).toBe(rows.length);
      const [first, ...later] = rows;
      const longMm = (c: SampleCase) => c.lesionDiameters[0] * c.spacing[0];
      for (const c of later) {
        for (let k = 0; k < 3; k++) expect(Math.abs(c.normalizedLocation[k] - first.normalizedLocation[k])).toBeLessThan(0.03);
        // The growth model: exp(rate · days) with ±6 % noise, clamped to ×0.5..×2.5; growth may be cut where the organ has no room.
        const days = (Date.parse(c.studyDate) - Date.parse(first.studyDate)) / 86_400_000;
        const expected = Math.min(2.5, Math.max(0.5, Math.exp(c.growth.logRatePerDay * days)));
        const ratio = longMm(c) / longMm(first);
        expect(c.growth).toEqual(first.growth);
        if (c.growth.behaviour === 'grows') {
          expect(ratio).toBeGreaterThan(0.93);
          expect(ratio).toBeLessThan(expected * 1.07);
        } else {
          expect(ratio).toBeGreaterThan(Math.max(0.5, expected * 0.93) - 0.01);
          expect(ratio).toBeLessThan(expected * 1.07);
        }
      }
    }
    const behaviours = new Set(followed.map((rows) => rows[0].growth.behaviour));
    expect([...behaviours].sort()).toEqual(['grows', 'shrinks', 'stable']);
  });

  it('gives every row consistent DeepLesion geometry', () => {
    for (const c of cases) {
      const [x1, y1, x2, y2] = c.boundingBox;
      expect(x1).toBeGreaterThanOrEqual(0);
      expect(y1).toBeGreaterThanOrEqual(0);
      expect(x2).toBeLessThanOrEqual(SIZE - 1);
      expect(y2).toBeLessThanOrEqual(SIZE - 1);
      expect(x1).toBeLessThan(x2);
      expect(y1).toBeLessThan(y2);
      const m = c.measurementCoordinates;
      for (let k = 0; k < 8; k += 2) {
        expect(m[k]).toBeGreaterThan(x1);
        expect(m[k]).toBeLessThan(x2);
        expect(m[k + 1]).toBeGreaterThan(y1);
        expect(m[k + 1]).toBeLessThan(y2);
      }
      const long = Math.hypot(m[2] - m[0], m[3] - m[1]);
      const short = Math.hypot(m[6] - m[4], m[7] - m[5]);
      expect(Math.abs(c.lesionDiameters[0] - long)).toBeLessThan(1e-3);
      expect(Math.abs(c.lesionDiameters[1] - short)).toBeLessThan(1e-3);
      expect(c.lesionDiameters[0]).toBeGreaterThanOrEqual(c.lesionDiameters[1]);
      // The two axes are perpendicular (RECIST).
      expect(Math.abs((m[2] - m[0]) * (m[6] - m[4]) + (m[3] - m[1]) * (m[7] - m[5])) / (long * short)).toBeLessThan(1e-3);

      expect(c.keySliceIndex).toBeGreaterThanOrEqual(3);
      expect(c.sliceRange).toEqual([c.keySliceIndex - 2, c.keySliceIndex + 2]);
      expect(c.sliceRange[1]).toBeLessThanOrEqual(c.series.sliceCount);
      expect(c.spacing[0]).toBe(c.spacing[1]);
      expect(c.spacing[0]).toBeGreaterThanOrEqual(0.6);
      expect(c.spacing[0]).toBeLessThanOrEqual(0.9);
      expect([1, 2.5, 5]).toContain(c.spacing[2]);
      expect(c.imageSize).toEqual([SIZE, SIZE]);
      for (const v of c.normalizedLocation) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(c.fileName).toBe(`${c.series.folderName}_${String(c.keySliceIndex).padStart(3, '0')}.png`);
      expect(c.series.folderName).toBe(
        `${String(c.patientIndex).padStart(6, '0')}_${String(c.studyIndex).padStart(2, '0')}_${String(c.seriesId).padStart(2, '0')}`,
      );
    }
  });

  it('puts lesions at body levels that match their type', () => {
    const z = (type: LabelledCoarseType) => cases.filter((c) => c.anatomicalType === type).map((c) => c.normalizedLocation[2]);
    for (const v of [...z(5), ...z(3)]) expect(v).toBeLessThan(0.42);
    for (const v of [...z(4), ...z(6)]) {
      expect(v).toBeGreaterThan(0.38);
      expect(v).toBeLessThan(0.6);
    }
    for (const v of z(8)) expect(v).toBeGreaterThan(0.65);
  });

  it('writes DL_info.csv in the exact DeepLesion layout', () => {
    const csv = formatDlInfoCsv(cases);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(DL_INFO_HEADER.join(','));
    expect(lines[0]).toBe(
      'File_name,Patient_index,Study_index,Series_ID,Key_slice_index,Measurement_coordinates,Bounding_boxes,Lesion_diameters_Pixel_,' +
        'Normalized_lesion_location,Coarse_lesion_type,Possibly_noisy,Slice_range,Spacing_mm_px_,Image_size,DICOM_windows,Patient_gender,Patient_age,Train_Val_Test',
    );
    expect(lines).toHaveLength(cases.length + 1);
    const row =
      /^\d{6}_\d{2}_\d{2}_\d{3,4}\.png,\d+,\d+,\d+,\d+,"[-\d., ]+","[-\d., ]+","[\d., ]+","[\d., ]+",(-1|[1-8]),[01],"\d+, \d+","[\d.]+, [\d.]+, [\d.]+","512, 512","-?\d+, -?\d+",[MF],\d+,[123]$/;
    lines.slice(1).forEach((line, i) => {
      expect(line).toMatch(row);
      const f = parseCsv(line)[0].fields;
      expect(f).toHaveLength(18);
      const c = cases[i];
      expect(f[0]).toBe(c.fileName);
      expect(numbers(f[5])).toEqual(c.measurementCoordinates);
      expect(numbers(f[6])).toEqual(c.boundingBox);
      expect(numbers(f[7])).toEqual(c.lesionDiameters);
      expect(Number(f[9])).toBe(c.coarseType);
      expect(numbers(f[12])).toEqual(c.spacing);
      // Numbers are written with at most 6 significant digits, like the real file ("0.488281", "233.537").
      for (const token of [f[5], f[6], f[7], f[8], f[12]].flatMap((field) => field.split(', '))) {
        expect(token.replace(/[-.]/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(6);
      }
    });
    const windows = new Set(cases.map((c) => c.dicomWindow.join(', ')));
    expect(windows.has('-1500, 500')).toBe(true);
    expect(cases.filter((c) => c.anatomicalType === 5).every((c) => c.dicomWindow.join() === '-1500,500')).toBe(true);
  });
});

describe('renderSlice', () => {
  /** One case per anatomical type keeps the slower checks fast. */
  let samples: SampleCase[];
  beforeAll(() => {
    samples = LABELLED_COARSE_TYPES.map((type) => cases.find((c) => c.anatomicalType === type)!);
  });

  it('is deterministic and stores HU + 32768 clipped to [-1024, 3071]', () => {
    const c = samples[0];
    const stored = renderSlice(c.series, c.keySliceIndex);
    expect(stored).toBeInstanceOf(Uint16Array);
    expect(stored).toHaveLength(SIZE * SIZE);
    expect(sameArray(renderSlice(c.series, c.keySliceIndex), stored)).toBe(true);
    // Two separate plans of the same seed render the same pixels.
    const [one, two] = [planSampleDataset({ seed: SEED, patients: 2 })[0], planSampleDataset({ seed: SEED, patients: 2 })[0]];
    expect(sameArray(renderSlice(one.series, one.keySliceIndex), renderSlice(two.series, two.keySliceIndex))).toBe(true);
    const hu = renderSliceHu(c.series, c.keySliceIndex);
    for (const i of [0, 1000, 130_000, 131_328, 200_000]) {
      expect(stored[i]).toBe(Math.round(Math.min(3071, Math.max(-1024, hu[i]))) + DEEPLESION_HU_OFFSET);
    }
    expect(Array.from(huToStored(new Float32Array([-2000, 0, 5000, 40.4])))).toEqual([32768 - 1024, 32768, 32768 + 3071, 32808]);
    expect(sameArray(renderSlice(c.series, c.keySliceIndex + 1), stored)).toBe(false);
    expect(() => renderSlice(c.series, 0)).toThrow(RangeError);
  });

  it('shows the lesion with its planned HU inside its box, sitting in the right organ', () => {
    for (const c of samples) {
      const { x, y } = lesionCentre(c);
      const radius = Math.max(1, (c.lesionDiameters[1] / 2) * 0.35);
      const clean = meanInDisc(renderSliceHu(c.series, c.keySliceIndex, { noise: false }), x, y, radius);
      expect({ kind: c.lesionKind, hu: Math.abs(clean - c.lesionHu) < 3 }).toEqual({ kind: c.lesionKind, hu: true });
      const noisy = meanInDisc(renderSliceHu(c.series, c.keySliceIndex), x, y, radius);
      expect(Math.abs(noisy - c.lesionHu)).toBeLessThan(25);

      const anatomy = renderSliceLayers(c.series, c.keySliceIndex, { noise: false, lesions: false }).tissue;
      const home = anatomy[Math.round(y) * SIZE + Math.round(x)];
      expect({ kind: c.lesionKind, inHomeTissue: HOME_TISSUES[c.anatomicalType].includes(home) }).toEqual({ kind: c.lesionKind, inHomeTissue: true });
    }
  });

  it('keeps every lesion of the dataset inside its organ at its key slice', () => {
    for (const c of cases) {
      const anatomy = renderSliceLayers(c.series, c.keySliceIndex, { noise: false, lesions: false }).tissue;
      const { x, y } = lesionCentre(c);
      expect({
        file: c.fileName,
        type: c.anatomicalType,
        home: HOME_TISSUES[c.anatomicalType].includes(anatomy[Math.round(y) * SIZE + Math.round(x)]),
      }).toEqual({
        file: c.fileName,
        type: c.anatomicalType,
        home: true,
      });
    }
  });

  it('renders plausible anatomy: air outside, fat and muscle in range, organ densities by region', () => {
    for (const c of samples) {
      const { hu, tissue } = renderSliceLayers(c.series, c.keySliceIndex);
      const corner = meanWhere(hu, (i) => i % SIZE < 16 && i < 16 * SIZE);
      expect(corner.mean).toBeLessThan(-900);
      const of = (t: number) => meanWhere(hu, (i) => tissue[i] === t);
      const fat = of(Tissue.SUBCUTANEOUS_FAT);
      const muscle = of(Tissue.MUSCLE);
      expect(fat.count).toBeGreaterThan(1000);
      expect(fat.mean).toBeGreaterThan(-120);
      expect(fat.mean).toBeLessThan(-80);
      expect(muscle.count).toBeGreaterThan(1000);
      expect(muscle.mean).toBeGreaterThan(35);
      expect(muscle.mean).toBeLessThan(55);
      const marrow = of(Tissue.BONE_MARROW);
      expect(marrow.count).toBeGreaterThan(50);
      expect(marrow.mean).toBeGreaterThan(150);
      expect(marrow.mean).toBeLessThan(420);
      const cortex = of(Tissue.BONE_CORTEX);
      expect(cortex.mean).toBeGreaterThan(550);
      expect(cortex.mean).toBeLessThan(1050);
      // Body region follows the lesion type.
      if (c.anatomicalType === 5 || c.anatomicalType === 3) {
        const lung = of(Tissue.LUNG);
        expect(lung.count).toBeGreaterThan(5000);
        expect(lung.mean).toBeGreaterThan(-900);
        expect(lung.mean).toBeLessThan(-800);
        // Vessels: small soft-tissue dots inside the lungs.
        expect(of(Tissue.LUNG_VESSEL).count).toBeGreaterThan(20);
      }
      if (c.anatomicalType === 4) {
        const liver = of(Tissue.LIVER);
        expect(liver.count).toBeGreaterThan(5000);
        expect(liver.mean).toBeGreaterThan(50);
        expect(liver.mean).toBeLessThan(70);
      }
      if (c.anatomicalType === 6) expect(of(Tissue.KIDNEY).count).toBeGreaterThan(300);
      if (c.anatomicalType === 8) expect(of(Tissue.LUNG).count).toBe(0);
    }
  });

  it('shows the same anatomy on neighbouring slices, with the lesion smaller away from the key slice', () => {
    for (const c of cases) {
      const slices = seriesSliceIndexes(c.series);
      const key = c.keySliceIndex;
      for (let s = key - 2; s <= key + 2; s++) expect(slices).toContain(s);
      const tissueAt = (s: number) => renderSliceLayers(c.series, s, { noise: false }).tissue;
      const [m2, m1, k0, p1, p2] = [key - 2, key - 1, key, key + 1, key + 2].map(tissueAt);
      const areas = [m2, m1, k0, p1, p2].map((t) => lesionArea(t, c));
      expect({
        file: c.fileName,
        areas,
        ok: areas[1] <= areas[2] && areas[3] <= areas[2] && areas[0] <= areas[1] && areas[4] <= areas[3] && areas[0] > 0 && areas[4] > 0,
      }).toEqual({
        file: c.fileName,
        areas,
        ok: true,
      });
      let same = 0;
      for (let i = 0; i < k0.length; i++) if (k0[i] === p1[i]) same++;
      expect(same / k0.length).toBeGreaterThan(0.85);
    }
  });
});
