// Writes a key-slice archive (the `samples` import format: lesions.csv + one image folder) where many
// lesions share one image: a few real DeepLesion key slices (../shared), or synthetic slices when
// the shared data is absent, copied under many names with the same box, so their embeddings are
// identical. `withReal` adds the real samples' own rows first (a mixed archive).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encode } from 'fast-png';
import { SAMPLES_COLUMNS } from '../src/deeplesion/samples-csv.parser';

export const SHARED_SAMPLES = path.resolve(__dirname, '../../shared/data/deeplesion-samples');

interface SourceRow {
  image: Buffer;
  extension: string;
  coarseType: string;
  box: [string, string, string, string];
}

function realSources(): { rows: string[][]; header: string[] } | null {
  const csv = path.join(SHARED_SAMPLES, 'lesions.csv');
  if (!fs.existsSync(csv)) return null;
  const [header, ...rows] = fs
    .readFileSync(csv, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(','));
  return { header, rows };
}

function sources(count: number): SourceRow[] {
  const real = realSources();
  if (real) {
    const col = (name: string) => real.header.indexOf(name);
    return real.rows.slice(0, count).map((r) => ({
      image: fs.readFileSync(path.join(SHARED_SAMPLES, 'images', r[col('image')])),
      extension: path.extname(r[col('image')]),
      coarseType: r[col('coarse_type')],
      box: [r[col('x1')], r[col('y1')], r[col('x2')], r[col('y2')]],
    }));
  }
  // Synthetic: a bright disc on a grey field, one size per source.
  return Array.from({ length: count }, (_, s) => {
    const size = 128;
    const data = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data[y * size + x] = Math.hypot(x - 64, y - 64) < 10 + 6 * s ? 200 : 90;
    return {
      image: Buffer.from(encode({ width: size, height: size, data, depth: 8, channels: 1 })),
      extension: '.png',
      coarseType: String(1 + (s % 8)),
      box: ['40', '40', '88', '88'],
    };
  });
}

/** Writes `rows` lesions over `distinct` images into `dir`; returns the CSV and image folder and how many rows it holds. */
export function writeDuplicateArchive(dir: string, rows: number, distinct: number, withReal = false): { csv: string; images: string; rows: number } {
  const images = path.join(dir, 'images');
  fs.mkdirSync(images, { recursive: true });
  const lines: string[] = [SAMPLES_COLUMNS.join(',')];
  const real = withReal ? realSources() : null;
  if (real) {
    const col = (name: string) => real.header.indexOf(name);
    for (const r of real.rows) {
      fs.copyFileSync(path.join(SHARED_SAMPLES, 'images', r[col('image')]), path.join(images, r[col('image')]));
      lines.push(SAMPLES_COLUMNS.map((c) => r[col(c)]).join(','));
    }
  }
  const from = sources(distinct);
  for (let i = 0; lines.length - 1 < rows; i++) {
    const source = from[i % from.length];
    const name = `dup_${String(i).padStart(5, '0')}${source.extension}`;
    fs.writeFileSync(path.join(images, name), source.image);
    // Its own patient per copy: the lesions differ, only their images are the same.
    lines.push([name, 900_000 + i, 1, 1, 1, 0, source.coarseType, ...source.box].join(','));
  }
  const csv = path.join(dir, 'lesions.csv');
  fs.writeFileSync(csv, lines.join('\n') + '\n');
  return { csv, images, rows: lines.length - 1 };
}

if (require.main === module) {
  const [dir, rows = '200', distinct = '4'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: ts-node bench/duplicate-archive.ts DIR [ROWS] [DISTINCT_IMAGES]');
  const written = writeDuplicateArchive(path.resolve(dir), Number(rows), Number(distinct));
  console.log(`Wrote ${written.rows} lesions over ${distinct} images: ${written.csv}`);
}
