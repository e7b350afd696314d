import fc from 'fast-check';
import { decodeXml, readXlsxRows, XlsxFormatError } from './xlsx';
import { buildZip } from './xlsx.testing';

// Property tests (fast-check) with a fixed seed: the same cases on every run; a failure prints its counterexample.
const RUNS = { seed: 8080, numRuns: 200 };

const zip = buildZip;

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function workbook(sheetXml: string, stored = false): Buffer {
  return zip([
    { name: 'xl/workbook.xml', text: `<workbook ${NS}><sheets><sheet name="S" sheetId="1"/></sheets></workbook>`, stored },
    { name: 'xl/worksheets/sheet1.xml', text: `<worksheet ${NS}><sheetData>${sheetXml}</sheetData></worksheet>`, stored },
  ]);
}

const columnLetters = (column: number) => {
  let letters = '';
  for (let n = column + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
};

/** Rows or an XlsxFormatError (the import's 400); never another error. */
function readOrRefuse(file: Buffer): string[][] | null {
  try {
    const rows = readXlsxRows(file);
    for (const row of rows) for (const cell of row) expect(typeof cell).toBe('string');
    return rows;
  } catch (error) {
    if (!(error instanceof XlsxFormatError)) throw new Error(`not an XlsxFormatError: ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
    return null;
  }
}

// Text cells without characters XML 1.0 cannot hold (the reader is not an XML validator).
const cellText = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('<', '>', '&', '"', "'", ' ', 'é', '\u{1F600}'),
      fc.string({ minLength: 1, maxLength: 1 }).filter((c) => /[\u0020-\uD7FF\uE000-\uFFFD]/u.test(c)),
    ),
    maxLength: 10,
  })
  .filter((t) => t.trim() === t || t === '');

describe('readXlsxRows (property)', () => {
  it('reads back the inline-string cells it was given, at their rows and columns', () => {
    fc.assert(
      fc.property(fc.array(fc.array(cellText, { maxLength: 5 }), { minLength: 1, maxLength: 6 }), fc.boolean(), (rows, stored) => {
        const xml = rows
          .map(
            (cells, r) =>
              `<row r="${r + 1}">${cells.map((text, c) => `<c r="${columnLetters(c)}${r + 1}" t="inlineStr"><is><t>${escapeXml(text)}</t></is></c>`).join('')}</row>`,
          )
          .join('');
        const expected = rows.map((cells) => {
          const row = [...cells];
          while (row.length && row[row.length - 1] === '') row.pop();
          return row;
        });
        expect(readXlsxRows(workbook(xml, stored))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('hostile row numbers and cell references: rows within the spreadsheet limits, or an XlsxFormatError', () => {
    const rowNumber = fc.constantFrom('1', '2', '0', '-5', 'abc', '1e9', '1048577', '99999999999', '');
    const cellRef = fc.constantFrom('A1', 'XFD1', 'XFE1', 'ZZZZZZZZ1', '1', '', 'A-1', '\u00c91');
    fc.assert(
      fc.property(fc.array(fc.tuple(rowNumber, fc.array(cellRef, { maxLength: 3 })), { maxLength: 4 }), (rows) => {
        const xml = rows.map(([r, refs]) => `<row r="${r}">${refs.map((ref) => `<c r="${ref}"><v>1</v></c>`).join('')}</row>`).join('');
        const read = readOrRefuse(workbook(xml, true));
        if (read) {
          expect(read.length).toBeLessThanOrEqual(1_048_576);
          for (const row of read) expect(row.length).toBeLessThanOrEqual(16_384);
        }
      }),
      RUNS,
    );
  });

  it('random, truncated and bit-flipped files: rows or an XlsxFormatError', () => {
    const base = workbook('<row r="1"><c r="A1" t="inlineStr"><is><t>term</t></is></c></row>');
    const mutated = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.from(b)])),
      fc.nat().map((n) => base.subarray(0, n % base.length)),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
        const copy = Buffer.from(base);
        for (const [at, value] of flips) copy[at % copy.length] = value;
        return copy;
      }),
    );
    fc.assert(
      fc.property(mutated, (file) => void readOrRefuse(file)),
      { ...RUNS, numRuns: 400 },
    );
  });

  it('decodeXml never throws: numeric references outside Unicode stay as written', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.integer({ min: 0, max: 0x7fffffff }).map((n) => `a&#${n};b&#x${n.toString(16)};c`),
        ),
        (text) => {
          expect(typeof decodeXml(text)).toBe('string');
        },
      ),
      RUNS,
    );
  });
});
