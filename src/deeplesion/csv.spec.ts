import { CsvParser, parseCsv, readCsvRecords } from './csv';

describe('parseCsv', () => {
  it('keeps quoted comma lists in one field', () => {
    const rows = parseCsv('a,b,c\n000001_01_01_109.png,"226.169, 90.0204, 241.568, 112.731",F\n');
    expect(rows).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['000001_01_01_109.png', '226.169, 90.0204, 241.568, 112.731', 'F'] },
    ]);
  });

  it('handles CRLF, doubled quotes, empty fields, blank lines and a BOM', () => {
    const rows = parseCsv('\uFEFFx,y\r\n"say ""hi""",\r\n\r\n,z\r\n');
    expect(rows.map((r) => r.fields)).toEqual([
      ['x', 'y'],
      ['say "hi"', ''],
      ['', 'z'],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it('counts lines inside quoted line breaks so later line numbers stay true', () => {
    const rows = parseCsv('h\n"multi\nline"\nnext\n');
    expect(rows[1]).toEqual({ line: 2, fields: ['multi\nline'] });
    expect(rows[2]).toEqual({ line: 4, fields: ['next'] });
  });
});

describe('CsvParser (streaming)', () => {
  const text = '\uFEFFa,b,c\r\n1,"x, ""y""\r\nz",3\r\n\r\n4,,6\rlast,"q"\n"unterminated,7\n';

  it('gives the same records as parseCsv whatever the chunk boundaries', () => {
    const whole = parseCsv(text);
    expect(whole.map((r) => r.line)).toEqual([1, 2, 5, 6, 7]);
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const parser = new CsvParser();
      const out: ReturnType<typeof parseCsv> = [];
      for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size), out);
      expect(parser.end('', out)).toEqual(whole);
    }
  });

  it('reports a record over the length bound at once, skips the rest of it and goes on with the next', () => {
    const parser = new CsvParser(10);
    const early = parser.push('h1,h2\nshort,1\n"0123456789abcdef');
    expect(early.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(early[2]).toEqual({ line: 3, fields: [], error: 'the record is longer than 10 characters' });
    const rest = parser.end('\nmore, and more"\nok,2\n');
    expect(rest).toEqual([{ line: 5, fields: ['ok', '2'] }]);
  });

  it('reads chunks of bytes, a UTF-8 character split across two chunks included', async () => {
    const bytes = Buffer.from('name,type\n"Ünïcode",5\n', 'utf8');
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    }
    const records = [];
    for await (const record of readCsvRecords(chunks(), 1000)) records.push(record);
    expect(records).toEqual(parseCsv(bytes.toString('utf8')));
    expect(records[1].fields[0]).toBe('Ünïcode');
  });
});
