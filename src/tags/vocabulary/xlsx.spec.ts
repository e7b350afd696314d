import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeXml, listXlsxSheets, readXlsxRecords, readXlsxRows, XlsxFormatError } from './xlsx';
import { buildZip } from './xlsx.testing';

const LESANET_DIR = path.resolve(__dirname, '../../../../shared/data/lesanet');

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';

function workbook(stored: boolean): Buffer {
  return buildZip([
    {
      name: 'xl/workbook.xml',
      text: `<workbook ${NS}><sheets><sheet name="First" sheetId="1" r:id="rId7"/><sheet name="Terms &amp; more" sheetId="2" r:id="rId8"/></sheets></workbook>`,
      stored,
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      text: '<Relationships><Relationship Id="rId8" Type="worksheet" Target="worksheets/other.xml"/><Relationship Id="rId7" Type="worksheet" Target="/xl/worksheets/first.xml"/></Relationships>',
      stored,
    },
    {
      name: 'xl/sharedStrings.xml',
      text: `<sst ${NS}><si><t>term</t></si><si><r><rPr><b/></rPr><t>liver</t></r><r><t xml:space="preserve"> &amp; spleen</t></r><rPh><t>ignored</t></rPh></si><si><t>a &lt;b&gt; &#233;&#x41;_x000D_</t></si></sst>`,
      stored,
    },
    { name: 'xl/worksheets/first.xml', text: `<worksheet ${NS}><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>`, stored },
    {
      name: 'xl/worksheets/other.xml',
      text:
        `<worksheet ${NS}><sheetData>` +
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>count</t></is></c></row>' +
        '<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3"/><c r="C3"><v>12.5</v></c><c r="D3" t="b"><v>1</v></c></row>' +
        '<row r="4"><c r="B4" t="s"><v>2</v></c></row>' +
        '</sheetData></worksheet>',
      stored,
    },
  ]);
}

describe('readXlsxRows', () => {
  it.each([false, true])('reads shared, rich-text and inline strings, numbers and gaps (stored entries: %s)', (stored) => {
    const file = workbook(stored);
    expect(listXlsxSheets(file)).toEqual(['First', 'Terms & more']);
    expect(readXlsxRows(file)).toEqual([['1']]);
    expect(readXlsxRows(file, 'Terms & more')).toEqual([['term', '', 'count'], [], ['liver & spleen', '', '12.5', 'TRUE'], ['', 'a <b> éA\r']]);
  });

  it('keys records by the header row and keeps spreadsheet row numbers', () => {
    const { header, records } = readXlsxRecords(workbook(false), 'Terms & more');
    expect(header).toEqual(['term', 'B', 'count']);
    expect(records).toEqual([
      { rowNumber: 3, values: { term: 'liver & spleen', B: '', count: '12.5' } },
      { rowNumber: 4, values: { term: '', B: 'a <b> éA\r', count: '' } },
    ]);
  });

  it('throws XlsxFormatError for a missing sheet, a non-ZIP file, a truncated file and a corrupted entry', () => {
    const file = workbook(false);
    expect(() => readXlsxRows(file, 'Nope')).toThrow(/no sheet named "Nope".*First, Terms & more/);
    expect(() => readXlsxRows(Buffer.from('id,class,term\n1,type,mass\n'))).toThrow(XlsxFormatError);
    expect(() => readXlsxRows(file.subarray(0, file.length - 30))).toThrow(/truncated/);
    const corrupted = Buffer.from(file);
    // Overwrite the start of the first entry's deflate stream.
    corrupted.fill(0xff, 30 + 'xl/workbook.xml'.length, 30 + 'xl/workbook.xml'.length + 8);
    expect(() => readXlsxRows(corrupted)).toThrow(XlsxFormatError);
  });

  it('refuses row numbers and columns past the format\'s limits with XlsxFormatError (a hostile r="1e9" made a billion rows)', () => {
    const sheet = (rows: string) =>
      buildZip([
        { name: 'xl/workbook.xml', text: `<workbook ${NS}><sheets><sheet name="S" sheetId="1"/></sheets></workbook>` },
        { name: 'xl/worksheets/sheet1.xml', text: `<worksheet ${NS}><sheetData>${rows}</sheetData></worksheet>` },
      ]);
    expect(() => readXlsxRows(sheet('<row r="1000000000"><c r="A1"><v>1</v></c></row>'))).toThrow(/bad row number "1000000000"/);
    expect(() => readXlsxRows(sheet('<row r="-5"/>'))).toThrow(XlsxFormatError);
    expect(() => readXlsxRows(sheet('<row r="1"><c r="ZZZZZZZZ1"><v>1</v></c></row>'))).toThrow(/past column XFD/);
    expect(readXlsxRows(sheet('<row r="2"><c r="XFD2"><v>1</v></c></row>'))[1].length).toBe(16_384);
  });

  it('keeps a numeric character reference past U+10FFFF as written (it threw a RangeError)', () => {
    expect(decodeXml('a&#1114112;b&#x110000;c&#x10FFFF;')).toBe('a&#1114112;b&#x110000;c\u{10FFFF}');
  });

  it('decodes XML entities once (no double decoding)', () => {
    expect(decodeXml('&amp;lt; &quot;x&quot; &apos;')).toBe('&lt; "x" \'');
  });
});

const haveLesanet = fs.existsSync(path.join(LESANET_DIR, 'lesion_ontology_181022.xlsx'));
if (!haveLesanet) console.log(`Skipping the LesaNet spreadsheet tests: ${LESANET_DIR} is absent`);
(haveLesanet ? describe : describe.skip)('the shared LesaNet spreadsheets', () => {
  it('reads the ontology: a header and 333 terms', () => {
    const rows = readXlsxRows(fs.readFileSync(path.join(LESANET_DIR, 'lesion_ontology_181022.xlsx')));
    expect(rows[0]).toEqual(['id', 'class', 'term', 'synonyms', 'num_detected', 'term_exclusive', 'term_parents', 'term_children']);
    expect(rows.length).toBe(334);
    expect(rows[1].slice(0, 3)).toEqual(['507', 'bodypart', 'lymph node']);
  });

  it('reads the per-term published results', () => {
    const { header, records } = readXlsxRecords(fs.readFileSync(path.join(LESANET_DIR, 'labels_for_demo.xlsx')));
    expect(header).toEqual(['A', 'train_positive', 'test_positive', 'test_negative', 'auc', 'precision', 'recall', 'f1', 'threshold']);
    expect(header.slice(1)).toEqual(['train_positive', 'test_positive', 'test_negative', 'auc', 'precision', 'recall', 'f1', 'threshold']);
    expect(records.length).toBe(171);
    const chest = records.find((r) => r.values.A === 'chest');
    expect(Number(chest?.values.auc)).toBeCloseTo(0.9748, 3);
  });
});
