import { HuWindow } from '../imaging/hu-image';
import { CsvRecord } from './csv';
import {
  LesionRecord,
  overlongRow,
  parseAll,
  ParsedRow,
  parseBox,
  parseCoarseType,
  parseInteger,
  parseNumber,
  parseNumberList,
  RowError,
  RowParserFor,
} from './lesion-record';
import { numberInFileOrder } from './lesion-numbering';

export const DL_INFO_COLUMNS = [
  'File_name',
  'Patient_index',
  'Study_index',
  'Series_ID',
  'Key_slice_index',
  'Measurement_coordinates',
  'Bounding_boxes',
  'Lesion_diameters_Pixel_',
  'Normalized_lesion_location',
  'Coarse_lesion_type',
  'Possibly_noisy',
  'Slice_range',
  'Spacing_mm_px_',
  'Image_size',
  'DICOM_windows',
  'Patient_gender',
  'Patient_age',
  'Train_Val_Test',
] as const;

const FILE_NAME = /^(\d{6})_(\d{2})_(\d{2})_(\d{3,4})\.png$/;

export interface DeepLesionParseOptions {
  /**
   * 'png16': `Images_png/{patient}_{study}_{series}/{slice}.png`, 16-bit (the full download).
   * 'gray8': key slices as 8-bit files named by File_name in one folder, mapped from `window`.
   */
  layout: 'png16' | 'gray8';
  window?: HuWindow;
}

/** Parses DL_info.csv records (header first). Bad rows come back as errors with their line numbers. */
export function parseDeepLesionCsv(records: CsvRecord[], options: DeepLesionParseOptions): { rows: ParsedRow[]; headerError?: string } {
  const { rows, headerError } = parseAll(records, (header) => deepLesionRowParser(header, options));
  return { rows: numberInFileOrder(rows), headerError };
}

/**
 * The row parser for a DL_info.csv with this header line. It keeps no state across rows: each valid record
 * carries its key slice (`keySliceKey`) and lesionInImage 0 until numbered (lesion-numbering.ts).
 */
export function deepLesionRowParser(headerRecord: CsvRecord, options: DeepLesionParseOptions): RowParserFor {
  if (headerRecord.error) return { headerError: `the header line: ${headerRecord.error}` };
  const header = headerRecord.fields.map((f) => f.trim());
  const missing = DL_INFO_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) return { headerError: `not a DL_info.csv header: missing column(s) ${missing.join(', ')}` };
  const col = Object.fromEntries(DL_INFO_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof DL_INFO_COLUMNS)[number], number>;

  const parse = (record: CsvRecord, index: number): ParsedRow => {
    const overlong = overlongRow(record);
    if (overlong) return overlong;
    try {
      if (record.fields.length !== header.length) {
        throw new RowError(`expected ${header.length} columns, found ${record.fields.length}`);
      }
      const get = (c: (typeof DL_INFO_COLUMNS)[number]) => record.fields[col[c]];
      const fileName = get('File_name').trim();
      const match = FILE_NAME.exec(fileName);
      if (!match) throw new RowError(`File_name: "${fileName}" is not {patient:06d}_{study:02d}_{series:02d}_{slice:03d}.png`);
      const record_ = parseRow(get, match, options);
      // Patient, study, series and slice of the file name packed into one integer below 2^53.
      const keySliceKey = ((Number(match[1]) * 100 + Number(match[2])) * 100 + Number(match[3])) * 10000 + Number(match[4]);
      return { ok: true, record: { ...record_, line: record.line, sourceRow: index, lesionInImage: 0, keySliceKey } };
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      return { ok: false, line: record.line, message: error.message };
    }
  };
  return { parse };
}

function parseRow(
  get: (c: (typeof DL_INFO_COLUMNS)[number]) => string,
  match: RegExpExecArray,
  options: DeepLesionParseOptions,
): Omit<LesionRecord, 'line' | 'sourceRow' | 'lesionInImage' | 'keySliceKey'> {
  const patientIndex = parseInteger('Patient_index', get('Patient_index'), 0, 1e9);
  const studyIndex = parseInteger('Study_index', get('Study_index'), 0, 1e6);
  const seriesIndex = parseInteger('Series_ID', get('Series_ID'), 0, 1e6);
  const keySliceIndex = parseInteger('Key_slice_index', get('Key_slice_index'), 0, 1e6);
  const [, filePatient, fileStudy, fileSeries, fileSlice] = match.map(Number);
  if (filePatient !== patientIndex || fileStudy !== studyIndex || fileSeries !== seriesIndex || fileSlice !== keySliceIndex) {
    throw new RowError('File_name does not match Patient_index/Study_index/Series_ID/Key_slice_index');
  }
  const box = parseBox('Bounding_boxes', parseNumberList('Bounding_boxes', get('Bounding_boxes'), 4));
  const recist = parseNumberList('Measurement_coordinates', get('Measurement_coordinates'), 8);
  const [longAxisPx, shortAxisPx] = parseNumberList('Lesion_diameters_Pixel_', get('Lesion_diameters_Pixel_'), 2);
  const [lx, ly, lz] = parseNumberList('Normalized_lesion_location', get('Normalized_lesion_location'), 3);
  const [first, last] = parseNumberList('Slice_range', get('Slice_range'), 2);
  if (!(first <= keySliceIndex && keySliceIndex <= last)) throw new RowError(`Slice_range: key slice ${keySliceIndex} is outside ${first}..${last}`);
  const [sx, sy, sz] = parseNumberList('Spacing_mm_px_', get('Spacing_mm_px_'), 3);
  if (!(sx > 0 && sy > 0 && sz > 0)) throw new RowError('Spacing_mm_px_: spacings must be positive');
  const [width, height] = parseNumberList('Image_size', get('Image_size'), 2);
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new RowError('Image_size: must be two positive integers');
  if (box.x1 < 0 || box.y1 < 0 || box.x2 > width || box.y2 > height) {
    throw new RowError(`Bounding_boxes: box ${[box.x1, box.y1, box.x2, box.y2].join(',')} lies outside the ${width}x${height} image`);
  }
  const [wl, wh] = parseNumberList('DICOM_windows', get('DICOM_windows'), 2);
  const sexRaw = get('Patient_gender').trim().toUpperCase();
  if (sexRaw !== '' && sexRaw !== 'M' && sexRaw !== 'F') throw new RowError(`Patient_gender: "${sexRaw}" is not M or F`);
  // DeepLesion leaves some ages as NaN: unknown, not an error.
  const ageRaw = get('Patient_age').trim();
  const age = ageRaw === '' || ageRaw.toLowerCase() === 'nan' ? null : parseNumber('Patient_age', ageRaw);
  if (age !== null && (age < 0 || age >= 150)) throw new RowError(`Patient_age: ${age} is not a plausible age`);
  const noisy = parseInteger('Possibly_noisy', get('Possibly_noisy'), 0, 1);
  const split = parseInteger('Train_Val_Test', get('Train_Val_Test'), 1, 3) as 1 | 2 | 3;
  const folder = `${match[1]}_${match[2]}_${match[3]}`;
  const fileName = match[0];
  return {
    patientIndex,
    studyIndex,
    seriesIndex,
    keySliceIndex,
    sourceFileName: fileName,
    box,
    recist,
    longAxisPx,
    shortAxisPx,
    location: { x: lx, y: ly, z: lz },
    coarseType: parseCoarseType('Coarse_lesion_type', get('Coarse_lesion_type')),
    possiblyNoisy: noisy === 1,
    sliceRange: { first, last },
    spacing: { x: sx, y: sy, z: sz },
    imageSize: { width, height },
    window: { low: wl, high: wh },
    sex: sexRaw === '' ? null : (sexRaw as 'M' | 'F'),
    age,
    split,
    ...(options.layout === 'png16'
      ? { imageRelPath: `${folder}/${match[4]}.png`, seriesRelDir: folder, imageEncoding: 'png16' as const, imageWindow: null }
      : { imageRelPath: fileName, seriesRelDir: null, imageEncoding: 'gray8' as const, imageWindow: options.window ?? null }),
  };
}
