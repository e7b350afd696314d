import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRecords, readRecords } from './read-records';

const SAMPLES_HEADER = 'image,patient_index,study_index,series_id,key_slice_index,lesion_in_image,coarse_type,x1,y1,x2,y2';

describe('readRecords', () => {
  it('picks the samples parser for "samples": 8-bit key slices, boxes in pixels', () => {
    const { rows, headerError } = parseRecords('samples', `${SAMPLES_HEADER}\na.png,1,1,1,10,1,4,10,20,30,40\n`);
    expect(headerError).toBeUndefined();
    expect(rows).toHaveLength(1);
    expect(rows[0].ok && rows[0].record.imageEncoding).toBe('gray8');
    expect(rows[0].ok && rows[0].record.box).toEqual({ x1: 10, y1: 20, x2: 30, y2: 40 });
  });

  it('refuses a header the format does not read (a samples CSV read as DL_info.csv)', () => {
    expect(parseRecords('deeplesion', `${SAMPLES_HEADER}\n`).headerError).toMatch(/File_name/);
  });

  it('reads a file, keeps the rows that parse and throws on a wrong header', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-records-'));
    try {
      const csv = path.join(dir, 'lesions.csv');
      fs.writeFileSync(csv, `${SAMPLES_HEADER}\na.png,1,1,1,10,1,4,10,20,30,40\nb.png,1,1,1,11,1,9,10,20,30,40\n`);
      const records = readRecords('samples', csv);
      expect(records.map((r) => r.imageRelPath)).toEqual(['a.png']);
      expect(() => readRecords('keyslice8', csv)).toThrow(/File_name/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
