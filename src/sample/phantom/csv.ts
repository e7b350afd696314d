/** DL_info.csv, written in the importer's column order. */
import { DL_INFO_HEADER, SampleCase } from './model';

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

export function round6(value: number): number {
  return Number(value.toPrecision(6));
}

export function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
