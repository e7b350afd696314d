import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { writeDicom } from '../../src/imaging/dicom-writer.testing';
import { DEEPLESION_KEYSLICE_WINDOW } from '../../src/imaging/hu-image';

/** The real DeepLesion key slices beside the project (../shared), read in place, never copied. */
export const REAL_SLICES_DIR = path.resolve(__dirname, '../../../shared/data/deeplesion-samples/images');

/** Why the real slices or dcmtk are unusable here, or null when both are present. */
export function dicomToolsMissing(): string | null {
  if (!fs.existsSync(REAL_SLICES_DIR)) return `${REAL_SLICES_DIR} is absent`;
  const probe = spawnSync('dcmcjpeg', ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return 'dcmtk (dcmcjpeg) is not installed';
  return null;
}

export interface RealSlice {
  name: string;
  width: number;
  height: number;
  /** The 8-bit grey levels of the key slice (HU −1024..3071 mapped onto 0..255). */
  grey: Uint8Array;
}

/** The first `count` real key slices, in name order. */
export function realSlices(count: number): RealSlice[] {
  const names = fs
    .readdirSync(REAL_SLICES_DIR)
    .filter((n) => n.endsWith('.jpg'))
    .sort()
    .slice(0, count);
  return names.map((name) => {
    const file = path.join(REAL_SLICES_DIR, name);
    const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
    const channels = img.data.length / (img.width * img.height);
    const grey = new Uint8Array(img.width * img.height);
    for (let i = 0; i < grey.length; i++) grey[i] = img.data[i * channels];
    return { name: name.replace(/\.jpg$/, ''), width: img.width, height: img.height, grey };
  });
}

const HU_PER_GREY = (DEEPLESION_KEYSLICE_WINDOW.high - DEEPLESION_KEYSLICE_WINDOW.low) / 255;

/** A CT slice's HU as 12-bit unsigned stored values (intercept −1024), the usual CT layout. */
export function stored12(slice: RealSlice): number[] {
  return Array.from(slice.grey, (g) => Math.round(g * HU_PER_GREY));
}

/** The slice as uncompressed explicit-LE DICOM: 16 bits allocated, 12 stored, intercept −1024. */
export function uncompressedDicom(slice: RealSlice, extra: Parameters<typeof writeDicom>[0] = {}): Uint8Array {
  return writeDicom({
    rows: slice.height,
    columns: slice.width,
    pixels: stored12(slice),
    bitsStored: 12,
    rescale: { slope: 1, intercept: -1024 },
    pixelSpacing: [0.7, 0.7],
    ...extra,
  });
}

/** The slice as 8-bit DICOM (the key slice's own grey levels, rescaled to HU): JPEG Baseline's input. */
export function eightBitDicom(slice: RealSlice): Uint8Array {
  return writeDicom({
    rows: slice.height,
    columns: slice.width,
    pixels: Array.from(slice.grey),
    bitsAllocated: 8,
    rescale: { slope: HU_PER_GREY, intercept: DEEPLESION_KEYSLICE_WINDOW.low },
  });
}

/** Runs a dcmtk tool on files; throws with its stderr when it fails. */
export function dcmtk(tool: string, args: string[]): void {
  const result = spawnSync(tool, args, { encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr}`);
}

/** How each transfer syntax is written with dcmtk from an uncompressed file. */
export const DCMTK_CONVERSIONS = [
  { name: 'Explicit VR Big Endian', uid: '1.2.840.10008.1.2.2', tool: 'dcmconv', args: ['+tb'], lossless: true },
  { name: 'Implicit VR Little Endian', uid: '1.2.840.10008.1.2', tool: 'dcmconv', args: ['+ti'], lossless: true },
  { name: 'Deflated Explicit VR Little Endian', uid: '1.2.840.10008.1.2.1.99', tool: 'dcmconv', args: ['+td'], lossless: true },
  { name: 'RLE Lossless', uid: '1.2.840.10008.1.2.5', tool: 'dcmcrle', args: [], lossless: true },
  { name: 'JPEG Lossless process 14', uid: '1.2.840.10008.1.2.4.57', tool: 'dcmcjpeg', args: ['+el'], lossless: true },
  { name: 'JPEG Lossless SV1', uid: '1.2.840.10008.1.2.4.70', tool: 'dcmcjpeg', args: ['+e1'], lossless: true },
  { name: 'JPEG-LS Lossless', uid: '1.2.840.10008.1.2.4.80', tool: 'dcmcjpls', args: ['+el'], lossless: true },
  { name: 'JPEG-LS Near-Lossless (NEAR 2)', uid: '1.2.840.10008.1.2.4.81', tool: 'dcmcjpls', args: ['+en', '+md', '2'], lossless: false },
] as const;
