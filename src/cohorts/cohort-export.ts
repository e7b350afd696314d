import { csvField } from '../deeplesion/csv';

/**
 * Rows of a cohort export, and the bands its counts are grouped in. Pure.
 */

/** One exported lesion, as the export cursor reads it. */
export interface ExportRow {
  lesion_id: number;
  dataset: string;
  patient_index: number;
  study_index: number;
  series_index: number;
  key_slice_index: number;
  lesion_in_image: number;
  source_file_name: string;
  source_row: number | null;
  box_x1: number;
  box_y1: number;
  box_x2: number;
  box_y2: number;
  long_axis_mm: number | null;
  short_axis_mm: number | null;
  coarse_type: number;
  sex: string | null;
  age_years: number | null;
  split: number | null;
  possibly_noisy: boolean;
  location_x: number | null;
  location_y: number | null;
  location_z: number | null;
  /** "term:confidence:source|…", best first. */
  tags: string | null;
}

export const EXPORT_COLUMNS = [
  'lesion_id',
  'dataset',
  'patient_index',
  'study_index',
  'series_index',
  'key_slice_index',
  'lesion_in_image',
  'source_file_name',
  'source_row',
  'box_x1',
  'box_y1',
  'box_x2',
  'box_y2',
  'long_axis_mm',
  'short_axis_mm',
  'coarse_type',
  'sex',
  'age_years',
  'split',
  'possibly_noisy',
  'location_x',
  'location_y',
  'location_z',
  'tags',
] as const;

const SPLIT_NAMES: Record<number, string> = { 1: 'train', 2: 'val', 3: 'test' };

export function csvHeader(): string {
  return EXPORT_COLUMNS.join(',') + '\n';
}

export function csvLine(row: ExportRow): string {
  return EXPORT_COLUMNS.map((c) => csvField(c === 'split' ? (row.split === null ? null : SPLIT_NAMES[row.split]) : row[c])).join(',') + '\n';
}

/** The JSON form of a row: typed fields, tags as objects. */
export function jsonRecord(row: ExportRow): Record<string, unknown> {
  return {
    lesionId: row.lesion_id,
    dataset: row.dataset,
    patientIndex: row.patient_index,
    studyIndex: row.study_index,
    seriesIndex: row.series_index,
    keySliceIndex: row.key_slice_index,
    lesionInImage: row.lesion_in_image,
    sourceFileName: row.source_file_name,
    sourceRow: row.source_row,
    box: [row.box_x1, row.box_y1, row.box_x2, row.box_y2],
    longAxisMm: row.long_axis_mm,
    shortAxisMm: row.short_axis_mm,
    coarseType: row.coarse_type,
    sex: row.sex?.trim() || null,
    ageYears: row.age_years,
    split: row.split === null ? null : SPLIT_NAMES[row.split],
    possiblyNoisy: row.possibly_noisy,
    location: row.location_x === null ? null : [row.location_x, row.location_y, row.location_z],
    tags: (row.tags ? row.tags.split('|') : []).map((t) => {
      const [term, confidence, source] = t.split(':');
      return { term, confidence: Number(confidence), source };
    }),
  };
}

/** Age and size bands of the cohort counts: SQL expressions and their display order. */
export const AGE_BAND_SQL = `CASE WHEN s.age_years IS NULL THEN 'unknown' WHEN s.age_years < 40 THEN '<40' WHEN s.age_years < 60 THEN '40-59' WHEN s.age_years < 80 THEN '60-79' ELSE '80+' END`;
export const AGE_BANDS = ['<40', '40-59', '60-79', '80+', 'unknown'];
export const SIZE_BAND_SQL = `CASE WHEN l.long_axis_mm IS NULL THEN 'unknown' WHEN l.long_axis_mm < 5 THEN '<5 mm' WHEN l.long_axis_mm < 10 THEN '5-10 mm' WHEN l.long_axis_mm < 20 THEN '10-20 mm' WHEN l.long_axis_mm < 50 THEN '20-50 mm' ELSE '50+ mm' END`;
export const SIZE_BANDS = ['<5 mm', '5-10 mm', '10-20 mm', '20-50 mm', '50+ mm', 'unknown'];

/** Counts in a band's order (bands without members included as 0, so charts keep their axes). */
export function orderedCounts(rows: { key: string | null; count: number }[], order: string[]): { key: string; count: number }[] {
  const byKey = new Map(rows.map((r) => [r.key ?? 'unknown', r.count]));
  return order.map((key) => ({ key, count: byKey.get(key) ?? 0 }));
}
