import { pseudonymousUid } from '../deid/pseudonym';
import { CsvRecord } from '../deeplesion/csv';
import { ArchiveAnnotation, fromAxes } from './annotation-geometry';

export interface CsvMarks {
  annotations: ArchiveAnnotation[];
  /** Bad rows, by line, with why. */
  problems: { line: number; message: string }[];
}

const BOX = ['x1', 'y1', 'x2', 'y2'];
const RECIST = ['long_x1', 'long_y1', 'long_x2', 'long_y2', 'short_x1', 'short_y1', 'short_x2', 'short_y2'];
/** Pixel coordinates beyond this are not from any CT slice. */
const MAX_COORDINATE = 65_536;
const UID = /^[0-9]+(\.[0-9]+)*$/;

/**
 * A simple annotation CSV for archives without SR or presentation states: `sop_instance_uid` and either a
 * box `x1,y1,x2,y2` or RECIST end points `long_x1..long_y2,short_x1..short_y2`, optional `frame` and
 * `type` (DeepLesion's 1..8, -1 unknown). The SOP UIDs are pseudonymised as the files' are.
 */
export function annotationsFromCsv(records: CsvRecord[], secret: string): CsvMarks | { headerError: string } {
  if (!records.length) return { headerError: 'the annotations CSV is empty' };
  const header = records[0].fields.map((f) => f.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col('sop_instance_uid') < 0) return { headerError: 'the annotations CSV needs a sop_instance_uid column' };
  const recist = RECIST.every((c) => col(c) >= 0);
  if (!recist && !BOX.every((c) => col(c) >= 0)) return { headerError: `the annotations CSV needs columns ${BOX.join(',')} or ${RECIST.join(',')}` };
  const out: CsvMarks = { annotations: [], problems: [] };
  for (const record of records.slice(1)) {
    if (record.error) {
      out.problems.push({ line: record.line, message: record.error });
      continue;
    }
    if (record.fields.length === 1 && record.fields[0].trim() === '') continue;
    const field = (name: string) => (record.fields[col(name)] ?? '').trim();
    const bad = (message: string) => out.problems.push({ line: record.line, message });
    const uid = field('sop_instance_uid');
    if (!UID.test(uid) || uid.length > 64) {
      bad('sop_instance_uid is not a DICOM UID');
      continue;
    }
    const values = (recist ? RECIST : BOX).map((c) => Number(field(c)));
    const wrong = (recist ? RECIST : BOX).find((c, i) => field(c) === '' || !Number.isFinite(values[i]) || Math.abs(values[i]) > MAX_COORDINATE);
    if (wrong) {
      bad(`${wrong}: "${field(wrong).slice(0, 32)}" is not a pixel coordinate`);
      continue;
    }
    const typeText = col('type') >= 0 ? field('type') : '';
    const type = typeText === '' ? -1 : Number(typeText);
    if (!Number.isInteger(type) || type === 0 || type < -1 || type > 8) {
      bad(`type: "${typeText.slice(0, 16)}" must be 1..8 or -1`);
      continue;
    }
    const frameText = col('frame') >= 0 ? field('frame') : '';
    const frame = frameText === '' ? 1 : Number(frameText);
    if (!Number.isInteger(frame) || frame < 1 || frame > 100_000) {
      bad(`frame: "${frameText.slice(0, 16)}" must be a frame number from 1`);
      continue;
    }
    let geometry: Pick<ArchiveAnnotation, 'box' | 'recist' | 'longAxisPx' | 'shortAxisPx'> | null;
    if (recist) {
      geometry = fromAxes(
        [
          [values[0], values[1]],
          [values[2], values[3]],
        ],
        [
          [values[4], values[5]],
          [values[6], values[7]],
        ],
      );
    } else {
      const [x1, y1, x2, y2] = values;
      geometry = x2 > x1 && y2 > y1 ? { box: { x1, y1, x2, y2 }, recist: null, longAxisPx: null, shortAxisPx: null } : null;
    }
    if (!geometry) {
      bad(recist ? 'the RECIST end points span no area' : 'box must have x2 > x1 and y2 > y1');
      continue;
    }
    out.annotations.push({
      source: 'csv',
      origin: 'csv',
      ordinal: record.line,
      sopUid: pseudonymousUid(secret, uid),
      frame,
      ...geometry,
      coarseType: type,
      approximate: false,
    });
  }
  return out;
}
