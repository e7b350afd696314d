import { ArchiveAnnotation } from './annotation-geometry';
import { ImageObject } from './dicom-header';
import { orderSeries } from './series-geometry';

/** An image file the header pass kept: its de-identified header and where to read its pixels (memory only). */
export interface WalkedImage {
  relPath: string;
  object: ImageObject;
}

export interface PlannedSlice {
  relPath: string;
  frame: number;
  rows: number;
  columns: number;
}

export interface PlannedLesion {
  sliceIndex: number;
  lesionInImage: number;
  annotation: ArchiveAnnotation;
}

/** One series, de-identified, ordered, with its lesions placed on slice indexes. */
export interface SeriesPlan {
  patientKeyHash: string;
  sex: 'M' | 'F' | null;
  ageYears: number | null;
  studyUid: string;
  /** Shifted, YYYY-MM-DD. */
  studyDate: string | null;
  seriesUid: string;
  seriesNumber: number | null;
  modality: string | null;
  bodyPart: string | null;
  kernel: string | null;
  width: number;
  height: number;
  spacing: { x: number | null; y: number | null; z: number | null };
  slices: PlannedSlice[];
  lesions: PlannedLesion[];
}

export interface PlanProblem {
  /** The file (relative path) or object the problem is about; null for the series as a whole. */
  file: string | null;
  message: string;
}

export interface ArchivePlan {
  /** In commit order: patient key, shifted study date, study UID, series number, series UID. */
  series: SeriesPlan[];
  problems: PlanProblem[];
}

const SOURCE_ORDER = { sr: 0, gsps: 1, csv: 2 } as const;

/**
 * Groups images into series by their (pseudonymous) Series UID, orders each series along its normal,
 * and places every annotation on its slice by SOP UID and frame. An annotation whose image is not in the
 * folder, or lies outside it, is a reported problem; so is a series that cannot be ordered or whose
 * slices differ in size, or one over `maxSlices`.
 */
export function planArchive(images: WalkedImage[], annotations: { annotation: ArchiveAnnotation; file: string }[], maxSlices: number): ArchivePlan {
  const problems: PlanProblem[] = [];
  const bySeries = new Map<string, WalkedImage[]>();
  for (const image of images) {
    const uid = image.object.deid.values.SeriesInstanceUID!;
    const list = bySeries.get(uid) ?? [];
    list.push(image);
    bySeries.set(uid, list);
  }
  const series: SeriesPlan[] = [];
  /** `${sop}/${frame}` to its series and slice. */
  const where = new Map<string, { plan: SeriesPlan; slice: number }>();
  for (const [seriesUid, members] of bySeries) {
    const firstFile = [...members].sort((a, b) => a.relPath.localeCompare(b.relPath))[0];
    const refuse = (message: string) => problems.push({ file: firstFile.relPath, message: `series not imported: ${message}` });
    const frames = members.flatMap((m) =>
      m.object.frames.map((f) => ({
        key: `${m.object.deid.values.SOPInstanceUID}/${f.frame}`,
        position: f.position,
        orientation: f.orientation,
        instanceNumber: m.object.instanceNumber !== null ? m.object.instanceNumber * 100_000 + f.frame : null,
        member: m,
        frame: f.frame,
      })),
    );
    if (frames.length > maxSlices) {
      refuse(`${frames.length} slices, over the limit of ${maxSlices} (ARCHIVE_MAX_SERIES_SLICES)`);
      continue;
    }
    const first = members[0].object;
    if (members.some((m) => m.object.rows !== first.rows || m.object.columns !== first.columns)) {
      refuse('its images differ in size');
      continue;
    }
    if (members.some((m) => m.object.deid.values.StudyInstanceUID !== first.deid.values.StudyInstanceUID)) {
      refuse('its images name different studies');
      continue;
    }
    const order = orderSeries(frames);
    if (!order.ok) {
      refuse(order.reason);
      continue;
    }
    const byKey = new Map(frames.map((f) => [f.key, f]));
    const values = first.deid.values;
    const seriesNumber = Number(values.SeriesNumber);
    const plan: SeriesPlan = {
      patientKeyHash: first.deid.patientKeyHash,
      sex: first.deid.sex,
      ageYears: first.deid.ageYears,
      studyUid: values.StudyInstanceUID!,
      studyDate: values.StudyDate ?? null,
      seriesUid,
      seriesNumber: Number.isInteger(seriesNumber) ? seriesNumber : null,
      modality: values.Modality?.toUpperCase().slice(0, 16) ?? null,
      bodyPart: values.BodyPartExamined?.toUpperCase().slice(0, 64) ?? null,
      kernel: values.ConvolutionKernel?.slice(0, 64) ?? null,
      width: first.columns,
      height: first.rows,
      spacing: { x: first.spacing?.x ?? null, y: first.spacing?.y ?? null, z: order.spacingZmm },
      slices: order.ordered.map((s) => {
        const f = byKey.get(s.key)!;
        return { relPath: f.member.relPath, frame: f.frame, rows: first.rows, columns: first.columns };
      }),
      lesions: [],
    };
    order.ordered.forEach((s, index) => where.set(s.key, { plan, slice: index }));
    series.push(plan);
  }

  const sorted = [...annotations].sort(
    (a, b) =>
      SOURCE_ORDER[a.annotation.source] - SOURCE_ORDER[b.annotation.source] ||
      a.annotation.origin.localeCompare(b.annotation.origin) ||
      a.annotation.ordinal - b.annotation.ordinal,
  );
  const perSlice = new Map<string, number>();
  for (const { annotation, file } of sorted) {
    const place = where.get(`${annotation.sopUid}/${annotation.frame}`);
    if (!place) {
      problems.push({ file, message: `an annotation references an image that is not in the folder (or not imported)` });
      continue;
    }
    const { plan, slice } = place;
    const b = annotation.box;
    if (b.x1 < 0 || b.y1 < 0 || b.x2 > plan.width || b.y2 > plan.height) {
      // Padding may reach past the edge: clip it; a box outside the image is refused.
      const clipped = { x1: Math.max(0, b.x1), y1: Math.max(0, b.y1), x2: Math.min(plan.width, b.x2), y2: Math.min(plan.height, b.y2) };
      if (!(clipped.x2 > clipped.x1 && clipped.y2 > clipped.y1)) {
        problems.push({ file, message: 'an annotation lies outside its image' });
        continue;
      }
      annotation.box = clipped;
    }
    const key = `${plan.seriesUid}/${slice}`;
    const ordinal = (perSlice.get(key) ?? 0) + 1;
    perSlice.set(key, ordinal);
    plan.lesions.push({ sliceIndex: slice, lesionInImage: ordinal, annotation });
  }
  series.sort(
    (a, b) =>
      a.patientKeyHash.localeCompare(b.patientKeyHash) ||
      (a.studyDate ?? '9999').localeCompare(b.studyDate ?? '9999') ||
      a.studyUid.localeCompare(b.studyUid) ||
      (a.seriesNumber ?? Infinity) - (b.seriesNumber ?? Infinity) ||
      a.seriesUid.localeCompare(b.seriesUid),
  );
  return { series, problems };
}
