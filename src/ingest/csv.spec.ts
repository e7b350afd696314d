import { parseCsv } from './csv';

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
    expect(rows.map((r) => r.fields)).toEqual([['x', 'y'], ['say "hi"', ''], ['', 'z']]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it('counts lines inside quoted line breaks so later line numbers stay true', () => {
    const rows = parseCsv('h\n"multi\nline"\nnext\n');
    expect(rows[1]).toEqual({ line: 2, fields: ['multi\nline'] });
    expect(rows[2]).toEqual({ line: 4, fields: ['next'] });
  });
});
