import { parseCsv } from './csv';
import { DL_INFO_COLUMNS, parseDeepLesionCsv } from './deeplesion-csv.parser';
import { parseSamplesCsv } from './samples-csv.parser';

const HEADER = DL_INFO_COLUMNS.join(',');
const REAL_ROW =
  '000001_01_01_109.png,1,1,1,109,"233.537, 95.0204, 234.887, 89.7362, 225.691, 92.6307, 241.568, 92.6307","226.169, 90.0204, 241.568, 112.731","15.4286, 6.20315","0.44416, 0.439232, 0.455256",3,0,"103, 115","0.488281, 0.488281, 5","512, 512","-175, 275",F,62,2';

function parseDl(lines: string[], layout: 'png16' | 'gray8' = 'png16') {
  return parseDeepLesionCsv(parseCsv([HEADER, ...lines].join('\n')), { layout, window: { low: -1024, high: 3071 } });
}

describe('DL_info.csv parser', () => {
  it('reads a real DeepLesion row exactly', () => {
    const { rows } = parseDl([REAL_ROW]);
    expect(rows[0]).toEqual({
      ok: true,
      record: expect.objectContaining({
        line: 2,
        sourceRow: 0,
        patientIndex: 1,
        studyIndex: 1,
        seriesIndex: 1,
        keySliceIndex: 109,
        lesionInImage: 0,
        box: { x1: 226.169, y1: 90.0204, x2: 241.568, y2: 112.731 },
        longAxisPx: 15.4286,
        shortAxisPx: 6.20315,
        location: { x: 0.44416, y: 0.439232, z: 0.455256 },
        coarseType: 3,
        possiblyNoisy: false,
        sliceRange: { first: 103, last: 115 },
        spacing: { x: 0.488281, y: 0.488281, z: 5 },
        imageSize: { width: 512, height: 512 },
        window: { low: -175, high: 275 },
        sex: 'F',
        age: 62,
        split: 2,
        imageRelPath: '000001_01_01/109.png',
        seriesRelDir: '000001_01_01',
        imageEncoding: 'png16',
      }),
    });
    const record = (rows[0] as { record: { recist: number[] } }).record;
    expect(record.recist).toHaveLength(8);
  });

  it('numbers lesions that share a key slice in file order', () => {
    const { rows } = parseDl([REAL_ROW, REAL_ROW.replace('"226.169, 90.0204', '"200, 90.0204')]);
    expect(rows.map((r) => r.ok && r.record.lesionInImage)).toEqual([0, 1]);
  });

  it('reports bad rows with their line numbers and keeps the good ones', () => {
    const { rows } = parseDl([
      REAL_ROW,
      REAL_ROW.replace(',F,62,2', ',F,62'), // column missing
      REAL_ROW.replace('"512, 512"', '"200, 200"'), // box outside the image
      REAL_ROW.replace('15.4286', 'abc'), // unparsable number
      REAL_ROW.replace(',3,0,', ',9,0,'), // unknown coarse type
      REAL_ROW.replace('000001_01_01_109', '000002_01_01_109'), // name disagrees with indexes
      REAL_ROW.replace(',F,62,2', ',F,NaN,2'), // unknown age is fine
    ]);
    expect(rows.map((r) => r.ok)).toEqual([true, false, false, false, false, false, true]);
    const errors = rows.filter((r) => !r.ok) as { line: number; message: string }[];
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7]);
    expect(errors[0].message).toMatch(/expected 18 columns, found 17/);
    expect(errors[1].message).toMatch(/outside the 200x200 image/);
    expect(errors[2].message).toMatch(/Lesion_diameters_Pixel_.*not a number/);
    expect(errors[3].message).toMatch(/Coarse_lesion_type/);
    expect(errors[4].message).toMatch(/File_name does not match/);
    expect(rows[6].ok && rows[6].record.age).toBeNull();
  });

  it('refuses a file that is not DL_info.csv', () => {
    expect(parseDeepLesionCsv(parseCsv('a,b\n1,2\n'), { layout: 'png16' }).headerError).toMatch(/missing column/);
  });

  it('points the 8-bit key-slice layout at flat files with the declared window', () => {
    const { rows } = parseDl([REAL_ROW], 'gray8');
    expect(rows[0].ok && rows[0].record).toMatchObject({
      imageRelPath: '000001_01_01_109.png',
      imageEncoding: 'gray8',
      imageWindow: { low: -1024, high: 3071 },
    });
  });
});

describe('samples lesions.csv parser', () => {
  const header = 'image,patient_index,study_index,series_id,key_slice_index,lesion_in_image,coarse_type,coarse_type_name,x1,y1,x2,y2';
  it('reads rows and leaves unknown metadata null', () => {
    const { rows } = parseSamplesCsv(parseCsv(`${header}\n000001_01_01_109.jpg,1,1,1,109,0,3,mediastinum,226.2,90.0,241.3,112.0\n`), {
      low: -1024,
      high: 3071,
    });
    expect(rows[0].ok && rows[0].record).toMatchObject({
      patientIndex: 1,
      keySliceIndex: 109,
      coarseType: 3,
      box: { x1: 226.2, y1: 90, x2: 241.3, y2: 112 },
      spacing: null,
      sex: null,
      imageEncoding: 'gray8',
    });
  });

  it('refuses path tricks and inverted boxes', () => {
    const { rows } = parseSamplesCsv(parseCsv(`${header}\n../../etc/passwd,1,1,1,1,0,3,x,1,1,2,2\nok.jpg,1,1,1,1,0,3,x,5,5,2,2\n`), { low: -1024, high: 3071 });
    expect(rows.map((r) => !r.ok && r.line)).toEqual([2, 3]);
  });
});
