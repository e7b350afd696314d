import { csvField } from '../deeplesion/csv';
import { csvHeader, csvLine, ExportRow, jsonRecord, orderedCounts } from './cohort-export';

const row: ExportRow = {
  lesion_id: 7,
  dataset: 'deeplesion',
  patient_index: 1,
  study_index: 2,
  series_index: 1,
  key_slice_index: 109,
  lesion_in_image: 0,
  source_file_name: '000001_02_01_109.png',
  source_row: 6,
  box_x1: 226.25,
  box_y1: 90,
  box_x2: 241.3333,
  box_y2: 112,
  long_axis_mm: 12.5,
  short_axis_mm: null,
  coarse_type: 3,
  sex: 'F',
  age_years: 61,
  split: 3,
  possibly_noisy: false,
  location_x: 0.5,
  location_y: 0.4,
  location_z: 0.3,
  tags: 'mediastinum:1:coarse_type|lymph node:0.9:report_mined',
};

describe('cohort export rows', () => {
  it('quotes CSV fields only when they need it', () => {
    const cases: [unknown, string][] = [
      ['plain', 'plain'],
      ['a,b', '"a,b"'],
      ['say "hi"', '"say ""hi"""'],
      ['two\nlines', '"two\nlines"'],
      [null, ''],
      [1.23456, '1.235'],
    ];
    expect(cases.map(([value]) => csvField(value))).toEqual(cases.map(([, written]) => written));
  });

  it('writes one line per lesion under the header, the split by name', () => {
    const header = csvHeader().trim().split(',');
    const fields = csvLine(row).trim().split(',');
    expect(fields).toHaveLength(header.length);
    expect(fields[header.indexOf('split')]).toBe('test');
    expect(fields[header.indexOf('box_x2')]).toBe('241.333');
    expect(fields[header.indexOf('tags')]).toBe('mediastinum:1:coarse_type|lymph node:0.9:report_mined');
  });

  it('gives typed JSON with tags as objects', () => {
    expect(jsonRecord(row)).toMatchObject({
      lesionId: 7,
      split: 'test',
      box: [226.25, 90, 241.3333, 112],
      tags: [
        { term: 'mediastinum', confidence: 1, source: 'coarse_type' },
        { term: 'lymph node', confidence: 0.9, source: 'report_mined' },
      ],
    });
  });

  it('orders band counts and fills empty bands with 0', () => {
    expect(
      orderedCounts(
        [
          { key: '80+', count: 2 },
          { key: null, count: 1 },
        ],
        ['<40', '80+', 'unknown'],
      ),
    ).toEqual([
      { key: '<40', count: 0 },
      { key: '80+', count: 2 },
      { key: 'unknown', count: 1 },
    ]);
  });
});
