/**
 * DICOM benchmarks, one exported function per section (each returns its markdown; main writes them):
 *   - decodeSection: slices/s decoded (parse, header check, pixel decode, HU) per transfer syntax, against
 *     the uncompressed explicit-little-endian path in the same run, over the real DeepLesion key slices in
 *     ../shared converted once with dcmtk (JPEG 2000 / HTJ2K: with the WASM encoders) into a temp folder.
 *
 *   npm run bench:dicom      (BENCH_SLICES=50, BENCH_SECONDS=2 per syntax; needs dcmtk and ../shared)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeHtj2k, decodeJpeg2000 } from '../src/imaging/codecs/jpeg-2000';
import { encodeHtj2k, encodeJpeg2000 } from '../src/imaging/codecs/wasm-encoders.testing';
import { decodeDicom } from '../src/imaging/dicom';
import { machineLine, writeSection } from '../src/evaluation/benchmarks-file';
import { DCMTK_CONVERSIONS, dcmtk, dicomToolsMissing, eightBitDicom, realSlices, stored12, uncompressedDicom } from '../test/helpers/dicom-samples';

const SLICES = Number(process.env.BENCH_SLICES ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

interface Variant {
  name: string;
  uid: string;
  files: Uint8Array[];
  /** Decodes one file (default: decodeDicom). */
  decode?: (file: Uint8Array) => unknown;
}

/** Slices decoded per second over `files`, repeated for about SECONDS after one warm-up pass. */
function throughput(files: Uint8Array[], decode: (file: Uint8Array) => unknown): number {
  for (const file of files) decode(file); // warm-up: WASM instantiation, JIT
  let decoded = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (const file of files) decode(file);
    decoded += files.length;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < SECONDS);
  return decoded / elapsed;
}

/** Every transfer syntax's files, written from the real slices once. */
function prepareVariants(scratch: string): Variant[] {
  const slices = realSlices(SLICES);
  const uncompressed = slices.map((slice) => uncompressedDicom(slice));
  const eightBit = slices.map((slice) => eightBitDicom(slice));
  const convert = (sources: Uint8Array[], tool: string, args: readonly string[], tag: string) =>
    sources.map((bytes, i) => {
      const source = path.join(scratch, `${i}.${tag}.src.dcm`);
      const target = path.join(scratch, `${i}.${tag}.dcm`);
      fs.writeFileSync(source, bytes);
      dcmtk(tool, [...args, source, target]);
      return new Uint8Array(fs.readFileSync(target));
    });
  const frames = slices.map((slice) => ({ width: slice.width, height: slice.height, values: stored12(slice), bitsPerSample: 12, signed: false }));
  const wrap = (uid: string, codestreams: Uint8Array[]) =>
    slices.map((slice, i) => uncompressedDicom(slice, { transferSyntax: uid, frames: [codestreams[i]] }));
  const j2k = frames.map((f) => encodeJpeg2000(f));
  const htj2k = frames.map((f) => encodeHtj2k(f));
  const layout = { rows: slices[0].height, columns: slices[0].width, bitsAllocated: 16 as const, bitsStored: 12, samplesPerPixel: 1 as const, signed: false };
  return [
    { name: 'Explicit VR Little Endian (baseline)', uid: '1.2.840.10008.1.2.1', files: uncompressed },
    ...DCMTK_CONVERSIONS.map((c) => ({ name: c.name, uid: c.uid, files: convert(uncompressed, c.tool, c.args, c.uid) })),
    { name: 'JPEG Baseline (8-bit)', uid: '1.2.840.10008.1.2.4.50', files: convert(eightBit, 'dcmcjpeg', ['+eb'], 'baseline') },
    { name: 'JPEG Extended (8-bit)', uid: '1.2.840.10008.1.2.4.51', files: convert(eightBit, 'dcmcjpeg', ['+ee'], 'extended') },
    { name: 'JPEG Extended (12-bit)', uid: '1.2.840.10008.1.2.4.51', files: convert(uncompressed, 'dcmcjpeg', ['+ee'], 'extended-12') },
    { name: 'JPEG 2000 Lossless', uid: '1.2.840.10008.1.2.4.90', files: wrap('1.2.840.10008.1.2.4.90', j2k) },
    {
      name: 'JPEG 2000 (lossy)',
      uid: '1.2.840.10008.1.2.4.91',
      files: wrap(
        '1.2.840.10008.1.2.4.91',
        frames.map((f) => encodeJpeg2000(f, false)),
      ),
    },
    { name: 'HTJ2K Lossless', uid: '1.2.840.10008.1.2.4.201', files: wrap('1.2.840.10008.1.2.4.201', htj2k) },
    {
      name: 'HTJ2K (lossy)',
      uid: '1.2.840.10008.1.2.4.203',
      files: wrap(
        '1.2.840.10008.1.2.4.203',
        frames.map((f) => encodeHtj2k(f, false)),
      ),
    },
    // Codec choice: the same codestreams through the other JPEG 2000 library (frame decode only).
    { name: 'codestream only: JPEG 2000 Lossless via OpenJPEG', uid: '-', files: j2k, decode: (f) => decodeJpeg2000(f, layout) },
    { name: 'codestream only: HTJ2K Lossless via OpenJPH', uid: '-', files: htj2k, decode: (f) => decodeHtj2k(f, layout) },
    { name: 'codestream only: HTJ2K Lossless via OpenJPEG', uid: '-', files: htj2k, decode: (f) => decodeJpeg2000(f, layout) },
  ];
}

export function decodeSection(): string {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-dicom-'));
  try {
    const load = os.loadavg()[0];
    const variants = prepareVariants(scratch);
    const rows: string[] = [];
    // Warm the shared path (parser, header checks, HU loop) first, so the baseline row is not the one paying for the JIT.
    throughput(variants[0].files, (file) => decodeDicom(file));
    let baseline = 0;
    let baselineBytes = 0;
    for (const variant of variants) {
      let rate: number;
      try {
        rate = throughput(variant.files, variant.decode ?? ((file) => decodeDicom(file)));
      } catch (error) {
        rows.push(`| ${variant.name} | ${variant.uid} | — | — | — | fails: ${(error as Error).message.slice(0, 80)} |`);
        continue;
      }
      const bytes = variant.files.reduce((n, f) => n + f.length, 0) / variant.files.length;
      if (!baseline) [baseline, baselineBytes] = [rate, bytes];
      rows.push(
        `| ${variant.name} | ${variant.uid} | ${(bytes / 1024).toFixed(0)} KiB (${(baselineBytes / bytes).toFixed(2)}×) | ${rate.toFixed(1)} | ${(1000 / rate).toFixed(2)} ms | ${(rate / baseline).toFixed(3)} |`,
      );
      console.log(rows[rows.length - 1]);
    }
    return [
      '## DICOM decoding per transfer syntax (`npm run bench:dicom`)',
      '',
      `${machineLine()}; ${SLICES} real DeepLesion key slices (512×512; 12 bits stored in 16, intercept −1024; JPEG Baseline/Extended from the 8-bit key slice), converted once with dcmtk 3.6.7 (JPEG 2000 and HTJ2K with the OpenJPEG/OpenJPH WASM encoders); each syntax decoded for about ${SECONDS} s after a warm-up pass, one thread, in one process; 1-minute load average ${load.toFixed(1)} at the start (other processes shared the 2 cores).`,
      'A decode is the whole of `decodeDicom`: parse (dicom-parser), header checks, frame decode, stored value → HU. "Ratio" is slices/s against the uncompressed explicit-little-endian row of the same run; "file" is the mean file size and its compression against that row.',
      '',
      '| transfer syntax | UID | file | slices/s | per slice | ratio |',
      '|---|---|---|---|---|---|',
      ...rows,
    ].join('\n');
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function main(): void {
  const missing = dicomToolsMissing();
  if (missing) {
    console.error(`bench:dicom needs the real slices and dcmtk: ${missing}`);
    process.exit(1);
  }
  writeSection('dicom-decode', decodeSection());
}

if (require.main === module) main();
