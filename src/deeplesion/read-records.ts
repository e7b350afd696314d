import * as fs from 'node:fs';
import { DEEPLESION_KEYSLICE_WINDOW, HuWindow } from '../imaging/hu-image';
import { CsvRecord, parseCsv } from './csv';
import { deepLesionRowParser } from './deeplesion-csv.parser';
import { LesionRecord, parseAll, ParsedRow, RowParserFor } from './lesion-record';
import { samplesRowParser } from './samples-csv.parser';

/**
 * The lesion CSV formats: 'deeplesion' (DL_info.csv over 16-bit PNG series), 'keyslice8' (DL_info.csv over
 * 8-bit key slices), 'samples' (a key-slice sample's lesions.csv).
 */
export type CsvFormat = 'deeplesion' | 'keyslice8' | 'samples';

/** The one place a format picks its row parser; `window` maps 8-bit grey levels to HU (ignored by 16-bit PNGs). */
export function rowParserFor(format: CsvFormat, header: CsvRecord, window: HuWindow): RowParserFor {
  return format === 'samples' ? samplesRowParser(header, window) : deepLesionRowParser(header, { layout: format === 'deeplesion' ? 'png16' : 'gray8', window });
}

/** Every row of a lesion CSV held whole (evaluations, tests); imports stream through `rowParserFor`. */
export function parseRecords(format: CsvFormat, text: string, window: HuWindow = DEEPLESION_KEYSLICE_WINDOW): { rows: ParsedRow[]; headerError?: string } {
  return parseAll(parseCsv(text), (header) => rowParserFor(format, header, window));
}

/** The lesions of a CSV file that parse; a header this format does not read throws. */
export function readRecords(format: CsvFormat, csvPath: string, window?: HuWindow): LesionRecord[] {
  const parsed = parseRecords(format, fs.readFileSync(csvPath, 'utf8'), window);
  if (parsed.headerError) throw new Error(parsed.headerError);
  return parsed.rows.flatMap((r) => (r.ok ? [r.record] : []));
}
