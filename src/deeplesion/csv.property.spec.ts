import fc from 'fast-check';
import { csvField, parseCsv } from './csv';

// Property tests (fast-check) with a fixed seed: the same cases on every run; a failure prints its counterexample.
const RUNS = { seed: 20240613, numRuns: 300 };

/** Field text with the characters CSV has to quote, weighted so they show up often. */
const fieldText = fc.string({
  unit: fc.oneof(fc.constantFrom(',', '"', '\n', '\r', '\r\n', ' ', 'a', 'é', '\u2028'), fc.string({ minLength: 1, maxLength: 1 })),
  maxLength: 12,
});

describe('parseCsv (property)', () => {
  it('reads back what the export writer (csvField) wrote: every record, every field, in order', () => {
    fc.assert(
      fc.property(
        // Two or more fields per record: a record of one empty field is a blank line, which the reader skips by design.
        fc.array(fc.array(fieldText, { minLength: 2, maxLength: 6 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        (records, newline) => {
          // A byte-order mark before the header is stripped by design (spreadsheet exports), so none is written there.
          fc.pre(!records[0][0].startsWith('\uFEFF'));
          const text = records.map((fields) => fields.map(csvField).join(',')).join(newline) + newline;
          expect(parseCsv(text).map((r) => r.fields)).toEqual(records);
        },
      ),
      RUNS,
    );
  });

  it('numbers each record by the line it starts on, counting line breaks inside quotes', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fieldText, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 6 }), (records) => {
        fc.pre(!records[0][0].startsWith('\uFEFF'));
        const lines = records.map((fields) => fields.map(csvField).join(','));
        let line = 1;
        const expected: number[] = [];
        for (const written of lines) {
          expected.push(line);
          line += (written.match(/\r\n|\r|\n/g) ?? []).length + 1;
        }
        // Line counting follows LF only inside quotes (a quoted lone CR is data): compare only when no lone CR is quoted.
        fc.pre(!records.some((fields) => fields.some((f) => /\r(?!\n)/.test(f) || /\r\n/.test(f))));
        expect(parseCsv(lines.join('\n') + '\n').map((r) => r.line)).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('never throws on arbitrary text, and returns only arrays of strings', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(fc.constantFrom(',', '"', '\n', '\r', '\uFEFF'), fc.string({ minLength: 1, maxLength: 1 })), maxLength: 200 }),
        (text) => {
          const records = parseCsv(text);
          for (const r of records) {
            expect(Number.isInteger(r.line) && r.line >= 1).toBe(true);
            for (const f of r.fields) expect(typeof f).toBe('string');
          }
        },
      ),
      RUNS,
    );
  });
});
