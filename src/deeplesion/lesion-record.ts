import { Box, HuWindow, PixelSpacing, pixelSpacing } from '../imaging/hu-image';
import { CsvRecord } from './csv';

/** One lesion as read from a source file, validated and ready to upsert. */
export interface LesionRecord {
  line: number;
  /** 0-based data row in the source CSV (DeepLesion's lesion index). */
  sourceRow: number;
  patientIndex: number;
  studyIndex: number;
  seriesIndex: number;
  keySliceIndex: number;
  lesionInImage: number;
  /**
   * Set when the source numbers lesions on a key slice by file order (DeepLesion): the key slice packed
   * into one integer below 2^53. lesionInImage is then given per batch (lesion-numbering.ts).
   */
  keySliceKey?: number;
  sourceFileName: string;
  box: Box;
  recist: number[] | null;
  longAxisPx: number | null;
  shortAxisPx: number | null;
  location: { x: number; y: number; z: number } | null;
  coarseType: number;
  possiblyNoisy: boolean;
  sliceRange: { first: number; last: number } | null;
  spacing: { x: number; y: number; z: number } | null;
  imageSize: { width: number; height: number } | null;
  window: HuWindow | null;
  sex: 'M' | 'F' | null;
  age: number | null;
  split: 1 | 2 | 3 | null;
  /** Key slice image, relative to the images folder. */
  imageRelPath: string;
  /** Folder of the series' slices, relative to the images folder, when the source has whole series. */
  seriesRelDir: string | null;
  imageEncoding: 'png16' | 'gray8';
  imageWindow: HuWindow | null;
}

/** The spacing a record's slices carry when decoded (its CSV's Spacing_mm_px_, held to the plausible range). */
export function recordSpacing(record: Pick<LesionRecord, 'spacing'>): PixelSpacing | null {
  return record.spacing && pixelSpacing(record.spacing.x, record.spacing.y, record.spacing.z);
}

export type ParsedRow = { ok: true; record: LesionRecord } | { ok: false; line: number; message: string };

/** Turns the data records of one CSV into rows, called in file order (`index`: 0-based data row). */
export type RowParser = (record: CsvRecord, index: number) => ParsedRow;
/** A row parser for a header, or why the header is not one this format reads. */
export type RowParserFor = { parse: RowParser; headerError?: undefined } | { headerError: string };

/** Parses every record of a file held whole (tests, evaluation); imports stream through a RowParser. */
export function parseAll(records: CsvRecord[], parserFor: (header: CsvRecord) => RowParserFor): { rows: ParsedRow[]; headerError?: string } {
  if (records.length === 0) return { rows: [], headerError: 'the CSV is empty' };
  const parser = parserFor(records[0]);
  if (parser.headerError !== undefined) return { rows: [], headerError: parser.headerError };
  return { rows: records.slice(1).map((record, index) => parser.parse(record, index)) };
}

/** A record the CSV reader cut short (over the length bound) is a bad row like any other. */
export function overlongRow(record: CsvRecord): ParsedRow | null {
  return record.error ? { ok: false, line: record.line, message: record.error } : null;
}

/** Field-level parse failure; the row parser turns it into a reported, skipped row. */
export class RowError extends Error {}

export function parseNumber(column: string, raw: string): number {
  const text = raw.trim();
  const n = text === '' ? NaN : Number(text);
  if (!Number.isFinite(n)) throw new RowError(`${column}: "${raw}" is not a number`);
  return n;
}

export function parseInteger(column: string, raw: string, min: number, max: number): number {
  const n = parseNumber(column, raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new RowError(`${column}: "${raw}" must be an integer in ${min}..${max}`);
  return n;
}

export function parseNumberList(column: string, raw: string, count: number): number[] {
  const parts = raw.split(',');
  if (parts.length !== count) throw new RowError(`${column}: expected ${count} numbers, found ${raw.trim() === '' ? 0 : parts.length}`);
  return parts.map((p) => parseNumber(column, p));
}

export function parseCoarseType(column: string, raw: string): number {
  const n = parseInteger(column, raw, -1, 8);
  if (n === 0) throw new RowError(`${column}: 0 is not a coarse type (1..8, or -1 for unlabelled)`);
  return n;
}

export function parseBox(column: string, values: number[]): Box {
  const [x1, y1, x2, y2] = values;
  if (!(x2 > x1 && y2 > y1)) throw new RowError(`${column}: box must have x2 > x1 and y2 > y1`);
  return { x1, y1, x2, y2 };
}
