import { StringDecoder } from 'node:string_decoder';

export interface CsvRecord {
  /** 1-based line on which the record starts (the header is line 1). */
  line: number;
  fields: string[];
  /** Set when the record ran over the length bound: its fields were dropped, the parser went on at its end. */
  error?: string;
}

/**
 * RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks (DL_info.csv quotes
 * its comma-separated lists). CRLF and LF both end records; blank lines are skipped.
 */
export function parseCsv(text: string): CsvRecord[] {
  return new CsvParser().end(text);
}

/**
 * The same grammar fed piece by piece (a chunk may end anywhere, even between the two characters of a
 * CRLF or a doubled quote), so a file is parsed in memory bounded by its longest record. A record longer
 * than `maxRecordLength` characters comes out at once as an error record and the rest of it is skipped.
 */
export class CsvParser {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  /** A quote inside quotes: it closes the field unless the next character is a second quote. */
  private quotePending = false;
  /** A CR ended the record: an LF right after it belongs to the same line break. */
  private skipLf = false;
  private fieldStarted = false;
  private line = 1;
  private recordLine = 1;
  private recordLength = 0;
  private tooLong = false;
  private emitted = 0;

  constructor(private readonly maxRecordLength = Infinity) {}

  push(text: string, out: CsvRecord[] = []): CsvRecord[] {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (this.skipLf) {
        this.skipLf = false;
        if (ch === '\n') continue;
      }
      if (this.quotePending) {
        this.quotePending = false;
        if (ch === '"') {
          this.add(out, '"');
          continue;
        }
        this.inQuotes = false;
      }
      if (this.inQuotes) {
        if (ch === '"') this.quotePending = true;
        else {
          if (ch === '\n') this.line++;
          this.add(out, ch);
        }
        continue;
      }
      if (ch === '"' && this.field === '') {
        this.inQuotes = true;
        this.fieldStarted = true;
        this.count(out);
      } else if (ch === ',') {
        if (this.count(out)) this.fields.push(this.field);
        this.field = '';
        this.fieldStarted = true;
      } else if (ch === '\n' || ch === '\r') {
        this.skipLf = ch === '\r';
        this.endRecord(out);
        this.line++;
        this.recordLine = this.line;
      } else {
        this.add(out, ch);
        this.fieldStarted = true;
      }
    }
    return out;
  }

  /** The last record (a file need not end with a line break); `text` is a last piece to push first. */
  end(text = '', out: CsvRecord[] = []): CsvRecord[] {
    this.push(text, out);
    this.quotePending = false;
    this.inQuotes = false;
    this.endRecord(out);
    return out;
  }

  private add(out: CsvRecord[], ch: string): void {
    if (this.count(out)) this.field += ch;
  }

  /** Counts one character of the current record; false once the record is over the bound. */
  private count(out: CsvRecord[]): boolean {
    if (this.tooLong) return false;
    if (++this.recordLength <= this.maxRecordLength) return true;
    this.tooLong = true;
    this.fields = [];
    this.field = '';
    this.emit(out, { line: this.recordLine, fields: [], error: `the record is longer than ${this.maxRecordLength} characters` });
    return false;
  }

  private endRecord(out: CsvRecord[]): void {
    if (!this.tooLong && (this.fieldStarted || this.fields.length > 0 || this.field !== '')) {
      this.fields.push(this.field);
      this.emit(out, { line: this.recordLine, fields: this.fields });
    }
    this.fields = [];
    this.field = '';
    this.fieldStarted = false;
    this.recordLength = 0;
    this.tooLong = false;
  }

  private emit(out: CsvRecord[], record: CsvRecord): void {
    // Strip a UTF-8 byte-order mark some spreadsheet exports put before the header.
    if (this.emitted++ === 0 && record.fields.length) record.fields[0] = record.fields[0].replace(/^\uFEFF/, '');
    out.push(record);
  }
}

/** Records of a UTF-8 CSV arriving in chunks; holds one chunk and one record at a time. */
export async function* readCsvRecords(chunks: AsyncIterable<Buffer>, maxRecordLength: number): AsyncGenerator<CsvRecord> {
  const decoder = new StringDecoder('utf8');
  const parser = new CsvParser(maxRecordLength);
  for await (const chunk of chunks) yield* parser.push(decoder.write(chunk));
  yield* parser.end(decoder.end());
}

/** A CSV field: quoted when it holds a comma, quote or line break (RFC 4180); numbers to 3 decimals. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : String(Math.round(value * 1000) / 1000)) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
