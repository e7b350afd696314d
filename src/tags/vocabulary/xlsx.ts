import { inflateRawSync } from 'node:zlib';

/**
 * A minimal .xlsx reader: enough of ZIP and SpreadsheetML to read the cell values of one sheet as text.
 * No dependency: the ontology spreadsheets are small, read once, and a full spreadsheet library would be
 * a large dependency for that. Not supported: ZIP64, encryption, formulas' evaluation (the cached value
 * is read), dates (numbers are returned as written).
 */
export class XlsxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XlsxFormatError';
  }
}

/** A row of cell texts; empty cells are '' and trailing empty cells are left out. */
export type XlsxRow = string[];

/** Every row of a sheet, index i being spreadsheet row i + 1 (missing rows are empty arrays). */
export function readXlsxRows(file: Buffer, sheetName?: string): XlsxRow[] {
  const zip = readZipEntries(file);
  const sheetPath = sheetPathOf(zip, sheetName);
  const sharedStrings = zip.has('xl/sharedStrings.xml') ? parseSharedStrings(entryText(zip, 'xl/sharedStrings.xml')) : [];
  return parseSheet(entryText(zip, sheetPath), sharedStrings);
}

/**
 * The sheet's rows as objects keyed by its first (header) row; a column with an empty header is keyed by
 * its letter ("A"). `rowNumber` is the spreadsheet's row number.
 */
export function readXlsxRecords(file: Buffer, sheetName?: string): { header: string[]; records: { rowNumber: number; values: Record<string, string> }[] } {
  const rows = readXlsxRows(file, sheetName);
  const header = (rows[0] ?? []).map((h, column) => h.trim() || columnLetters(column));
  const records: { rowNumber: number; values: Record<string, string> }[] = [];
  rows.slice(1).forEach((row, i) => {
    if (row.every((cell) => cell.trim() === '')) return;
    const values: Record<string, string> = {};
    header.forEach((name, column) => {
      values[name] = row[column] ?? '';
    });
    records.push({ rowNumber: i + 2, values });
  });
  return { header, records };
}

/** The workbook's sheet names in order. */
export function listXlsxSheets(file: Buffer): string[] {
  return workbookSheets(readZipEntries(file)).map((s) => s.name);
}

// ---------------------------------------------------------------- ZIP

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localHeaderOffset: number;
}

type ZipArchive = Map<string, { entry: ZipEntry; file: Buffer }>;

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

function readZipEntries(file: Buffer): ZipArchive {
  if (file.length < 22 || file.readUInt32LE(0) !== LOCAL_FILE_HEADER) throw new XlsxFormatError('not an .xlsx file: it is not a ZIP archive');
  // The end record sits in the last 22 bytes plus an optional comment of up to 65,535 bytes.
  let end = -1;
  for (let i = file.length - 22; i >= Math.max(0, file.length - 22 - 0xffff); i--) {
    if (file.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new XlsxFormatError('truncated .xlsx file: the ZIP end-of-central-directory record is missing');
  const count = file.readUInt16LE(end + 10);
  const directorySize = file.readUInt32LE(end + 12);
  const directoryOffset = file.readUInt32LE(end + 16);
  if (directoryOffset === 0xffffffff || count === 0xffff) throw new XlsxFormatError('ZIP64 archives are not supported');
  if (directoryOffset + directorySize > end) throw new XlsxFormatError('truncated .xlsx file: the ZIP central directory lies outside the file');
  const archive: ZipArchive = new Map();
  let at = directoryOffset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > end || file.readUInt32LE(at) !== CENTRAL_DIRECTORY_HEADER) throw new XlsxFormatError(`corrupt ZIP central directory at entry ${n + 1}`);
    const nameLength = file.readUInt16LE(at + 28);
    const entry: ZipEntry = {
      method: file.readUInt16LE(at + 10),
      compressedSize: file.readUInt32LE(at + 20),
      localHeaderOffset: file.readUInt32LE(at + 42),
      name: file.toString('utf8', at + 46, at + 46 + nameLength),
    };
    if (file.readUInt16LE(at + 8) & 0x1) throw new XlsxFormatError(`encrypted ZIP entries are not supported (${entry.name})`);
    archive.set(entry.name, { entry, file });
    at += 46 + nameLength + file.readUInt16LE(at + 30) + file.readUInt16LE(at + 32);
  }
  return archive;
}

function entryData(archive: ZipArchive, name: string): Buffer {
  const found = archive.get(name);
  if (!found) throw new XlsxFormatError(`the .xlsx file has no ${name}`);
  const { entry, file } = found;
  const at = entry.localHeaderOffset;
  if (at + 30 > file.length || file.readUInt32LE(at) !== LOCAL_FILE_HEADER) throw new XlsxFormatError(`corrupt ZIP entry ${name}: no local header`);
  const dataStart = at + 30 + file.readUInt16LE(at + 26) + file.readUInt16LE(at + 28);
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > file.length) throw new XlsxFormatError(`truncated .xlsx file: entry ${name} runs past the end`);
  const data = file.subarray(dataStart, dataEnd);
  if (entry.method === 0) return data;
  if (entry.method !== 8) throw new XlsxFormatError(`ZIP entry ${name} uses compression method ${entry.method}; only stored and deflate are supported`);
  try {
    return inflateRawSync(data);
  } catch (error) {
    throw new XlsxFormatError(`corrupt ZIP entry ${name}: ${(error as Error).message}`);
  }
}

function entryText(archive: ZipArchive, name: string): string {
  return entryData(archive, name).toString('utf8');
}

// ---------------------------------------------------------------- workbook

function workbookSheets(archive: ZipArchive): { name: string; path: string }[] {
  const workbook = entryText(archive, 'xl/workbook.xml');
  const rels = archive.has('xl/_rels/workbook.xml.rels') ? entryText(archive, 'xl/_rels/workbook.xml.rels') : '';
  const targets = new Map<string, string>();
  for (const match of rels.matchAll(/<Relationship\b([^>]*)\/?>/g)) {
    const id = attribute(match[1], 'Id');
    const target = attribute(match[1], 'Target');
    if (id && target) targets.set(id, target.startsWith('/') ? target.slice(1) : `xl/${target}`);
  }
  const sheets: { name: string; path: string }[] = [];
  for (const match of workbook.matchAll(/<sheet\b([^>]*)\/?>/g)) {
    const name = decodeXml(attribute(match[1], 'name') ?? '');
    const id = attribute(match[1], 'r:id');
    const sheetId = attribute(match[1], 'sheetId');
    // Without relationships, fall back to the conventional file name.
    const target = (id && targets.get(id)) ?? `xl/worksheets/sheet${sheetId ?? sheets.length + 1}.xml`;
    sheets.push({ name, path: target });
  }
  return sheets;
}

function sheetPathOf(archive: ZipArchive, sheetName?: string): string {
  const sheets = workbookSheets(archive);
  if (!sheets.length) throw new XlsxFormatError('the workbook has no sheets');
  if (sheetName === undefined) return sheets[0].path;
  const sheet = sheets.find((s) => s.name === sheetName);
  if (!sheet) throw new XlsxFormatError(`no sheet named "${sheetName}" (the workbook has: ${sheets.map((s) => s.name).join(', ')})`);
  return sheet.path;
}

// ---------------------------------------------------------------- cells

function parseSharedStrings(xml: string): string[] {
  const strings: string[] = [];
  for (const match of xml.matchAll(/<si>([\s\S]*?)<\/si>|<si\/>/g)) strings.push(textRuns(match[1] ?? ''));
  return strings;
}

/** The text of a string item: a plain <t>, or the <t> of each rich-text run <r>; phonetic hints <rPh> are not text. */
function textRuns(xml: string): string {
  const withoutPhonetic = xml.replace(/<rPh\b[\s\S]*?<\/rPh>/g, '');
  let text = '';
  for (const match of withoutPhonetic.matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>/g)) text += decodeXml(match[1]);
  return text;
}

// The spreadsheet format's limits (Excel 2007 and later): 1,048,576 rows, 16,384 columns (A to XFD).
const MAX_ROWS = 1_048_576;
const MAX_COLUMNS = 16_384;

function parseSheet(xml: string, sharedStrings: string[]): XlsxRow[] {
  const rows: XlsxRow[] = [];
  let nextRow = 1;
  for (const rowMatch of xml.matchAll(/<row\b([^>]*?)(?:\/>|>([\s\S]*?)<\/row>)/g)) {
    const rowNumber = Number(attribute(rowMatch[1], 'r') ?? nextRow);
    // Bounded by the format's own limits, so a hostile r="1e9" cannot make a billion empty rows.
    if (!Number.isInteger(rowNumber) || rowNumber < 1 || rowNumber > MAX_ROWS)
      throw new XlsxFormatError(`bad row number "${attribute(rowMatch[1], 'r')}" (1 to ${MAX_ROWS})`);
    nextRow = rowNumber + 1;
    const cells: string[] = [];
    let nextColumn = 0;
    for (const cellMatch of (rowMatch[2] ?? '').matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const ref = attribute(cellMatch[1], 'r');
      const column = ref ? columnIndex(ref) : nextColumn;
      if (column >= MAX_COLUMNS) throw new XlsxFormatError(`cell ${ref ?? `row ${rowNumber}`} lies past column ${columnLetters(MAX_COLUMNS - 1)}`);
      nextColumn = column + 1;
      cells[column] = cellValue(attribute(cellMatch[1], 't'), cellMatch[2] ?? '', sharedStrings, ref ?? `row ${rowNumber}`);
    }
    const row = Array.from(cells, (cell) => cell ?? '');
    while (row.length && row[row.length - 1] === '') row.pop();
    while (rows.length < rowNumber - 1) rows.push([]);
    rows[rowNumber - 1] = row;
  }
  return rows;
}

function cellValue(type: string | undefined, inner: string, sharedStrings: string[], ref: string): string {
  if (type === 'inlineStr') {
    const is = /<is>([\s\S]*?)<\/is>/.exec(inner);
    return is ? textRuns(is[1]) : '';
  }
  const value = /<v>([\s\S]*?)<\/v>/.exec(inner);
  if (!value) return '';
  const raw = decodeXml(value[1]);
  if (type === 's') {
    const index = Number(raw);
    if (!Number.isInteger(index) || index < 0 || index >= sharedStrings.length)
      throw new XlsxFormatError(`cell ${ref} refers to shared string ${raw}, which does not exist`);
    return sharedStrings[index];
  }
  if (type === 'b') return raw === '1' ? 'TRUE' : 'FALSE';
  return raw;
}

/** "AB12" → 27 (0-based column). */
function columnIndex(ref: string): number {
  const letters = /^[A-Z]+/i.exec(ref);
  if (!letters) throw new XlsxFormatError(`bad cell reference "${ref}"`);
  let index = 0;
  for (const letter of letters[0].toUpperCase()) index = index * 26 + (letter.charCodeAt(0) - 64);
  return index - 1;
}

function columnLetters(column: number): string {
  let letters = '';
  for (let n = column + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|\\s)${name.replace(':', '\\:')}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attributes);
  return match ? (match[1] ?? match[2]) : undefined;
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML entities, then SpreadsheetML's own _xHHHH_ escapes for control characters. */
export function decodeXml(text: string): string {
  return text
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, body: string) => {
      if (body[0] === '#') {
        const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
        // A reference past U+10FFFF is no character: kept as written (fromCodePoint would throw a RangeError).
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return NAMED_ENTITIES[body] ?? whole;
    })
    .replace(/_x([0-9A-F]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
