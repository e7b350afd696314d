import * as fs from 'node:fs';
import * as path from 'node:path';
import { encode } from 'fast-png';
import { DL_INFO_COLUMNS } from '../../src/deeplesion/deeplesion-csv.parser';

export const DL_HEADER = DL_INFO_COLUMNS.join(',');

export interface FixtureLesion {
  patient: number;
  study: number;
  series: number;
  slice: number;
  box?: [number, number, number, number];
  type?: number;
  sex?: 'M' | 'F';
  age?: number;
  split?: 1 | 2 | 3;
  longAxisPx?: number;
  spacing?: number;
  noisy?: 0 | 1;
}

/** One DL_info.csv row in the real format (quoted comma lists). */
export function dlInfoRow(l: FixtureLesion, size = 64): string {
  const [x1, y1, x2, y2] = l.box ?? [10, 12, 30, 28];
  const name = `${pad(l.patient, 6)}_${pad(l.study, 2)}_${pad(l.series, 2)}_${pad(l.slice, 3)}.png`;
  const long = l.longAxisPx ?? x2 - x1 - 4;
  const short = Math.min(long, y2 - y1 - 4);
  const cy = (y1 + y2) / 2;
  const cx = (x1 + x2) / 2;
  const recist = [x1 + 2, cy, x1 + 2 + long, cy, cx, cy - short / 2, cx, cy + short / 2];
  const spacing = l.spacing ?? 0.7;
  return [
    name,
    l.patient,
    l.study,
    l.series,
    l.slice,
    `"${recist.join(', ')}"`,
    `"${[x1, y1, x2, y2].join(', ')}"`,
    `"${long}, ${short}"`,
    '"0.5, 0.5, 0.5"',
    l.type ?? 4,
    l.noisy ?? 0,
    `"${Math.max(1, l.slice - 2)}, ${l.slice + 2}"`,
    `"${spacing}, ${spacing}, 5"`,
    `"${size}, ${size}"`,
    '"-175, 275"',
    l.sex ?? 'F',
    l.age ?? 60,
    l.split ?? 1,
  ].join(',');
}

/** A tiny 16-bit slice (HU + 32768) so thousands of files stay cheap. */
export function tinySlicePng(size = 64, hu = 40): Uint8Array {
  return encode({ width: size, height: size, data: new Uint16Array(size * size).fill(hu + 32768), depth: 16, channels: 1 });
}

/** Writes DL_info.csv and Images_png/ for `lesions`, and returns the paths. */
export function writeDeepLesionFixture(dir: string, lesions: FixtureLesion[], extraLines: string[] = []): { csv: string; images: string } {
  const images = path.join(dir, 'Images_png');
  fs.mkdirSync(images, { recursive: true });
  const slice = tinySlicePng();
  for (const l of lesions) {
    const folder = path.join(images, `${pad(l.patient, 6)}_${pad(l.study, 2)}_${pad(l.series, 2)}`);
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, `${pad(l.slice, 3)}.png`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, slice);
  }
  const csv = path.join(dir, 'DL_info.csv');
  fs.writeFileSync(csv, [DL_HEADER, ...lesions.map((l) => dlInfoRow(l)), ...extraLines].join('\n') + '\n');
  return { csv, images };
}

export function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
