import { HuWindow } from '../imaging/hu-image';
import { CsvRecord } from './csv';
import { overlongRow, parseAll, ParsedRow, parseBox, parseCoarseType, parseInteger, parseNumber, RowError, RowParserFor } from './lesion-record';

export const SAMPLES_COLUMNS = [
  'image',
  'patient_index',
  'study_index',
  'series_id',
  'key_slice_index',
  'lesion_in_image',
  'coarse_type',
  'x1',
  'y1',
  'x2',
  'y2',
] as const;

/**
 * The `lesions.csv` of a key-slice sample (8-bit images in one folder, boxes in pixels). It has no
 * spacing, RECIST, location, demographics or split: those stay unknown rather than guessed.
 */
export function parseSamplesCsv(records: CsvRecord[], window: HuWindow): { rows: ParsedRow[]; headerError?: string } {
  return parseAll(records, (header) => samplesRowParser(header, window));
}

/** The row parser for a samples lesions.csv with this header line. */
export function samplesRowParser(headerRecord: CsvRecord, window: HuWindow): RowParserFor {
  if (headerRecord.error) return { headerError: `the header line: ${headerRecord.error}` };
  const header = headerRecord.fields.map((f) => f.trim());
  const missing = SAMPLES_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) return { headerError: `not a samples lesions.csv header: missing column(s) ${missing.join(', ')}` };
  const col = (c: (typeof SAMPLES_COLUMNS)[number]) => header.indexOf(c);
  const parse = (record: CsvRecord, index: number): ParsedRow => {
    const overlong = overlongRow(record);
    if (overlong) return overlong;
    try {
      if (record.fields.length !== header.length) throw new RowError(`expected ${header.length} columns, found ${record.fields.length}`);
      const get = (c: (typeof SAMPLES_COLUMNS)[number]) => record.fields[col(c)];
      const image = get('image').trim();
      if (!/^[\w.-]+\.(png|jpe?g)$/i.test(image)) throw new RowError(`image: "${image}" is not a plain .png/.jpg file name`);
      const box = parseBox(
        'box',
        ['x1', 'y1', 'x2', 'y2'].map((c) => parseNumber(c, get(c as 'x1'))),
      );
      return {
        ok: true,
        record: {
          line: record.line,
          sourceRow: index,
          patientIndex: parseInteger('patient_index', get('patient_index'), 0, 1e9),
          studyIndex: parseInteger('study_index', get('study_index'), 0, 1e6),
          seriesIndex: parseInteger('series_id', get('series_id'), 0, 1e6),
          keySliceIndex: parseInteger('key_slice_index', get('key_slice_index'), 0, 1e6),
          lesionInImage: parseInteger('lesion_in_image', get('lesion_in_image'), 0, 1000),
          sourceFileName: image,
          box,
          recist: null,
          longAxisPx: null,
          shortAxisPx: null,
          location: null,
          coarseType: parseCoarseType('coarse_type', get('coarse_type')),
          possiblyNoisy: false,
          sliceRange: null,
          spacing: null,
          imageSize: null,
          window: null,
          sex: null,
          age: null,
          split: null,
          imageRelPath: image,
          seriesRelDir: null,
          imageEncoding: 'gray8',
          imageWindow: window,
        },
      };
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      return { ok: false, line: record.line, message: error.message };
    }
  };
  return { parse };
}
