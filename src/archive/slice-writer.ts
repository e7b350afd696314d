import * as fs from 'node:fs';
import * as path from 'node:path';
import { encode } from 'fast-png';
import { decodeSlice, DecodeSliceOptions } from '../imaging/decode-slice';
import { DEEPLESION_HU_OFFSET, HuImage } from '../imaging/hu-image';

/** One slice to decode from the archive and store as a DeepLesion 16-bit PNG (HU + 32768). */
export interface SliceWriteJob {
  source: string;
  /** 1-based frame of a multi-frame file. */
  frame: number;
  target: string;
  rows: number;
  columns: number;
  maxBytes: number;
  maxPixels: number;
}

export type SliceWriteResult = { ok: true } | { ok: false; message: string };

/** HU to DeepLesion's 16-bit PNG (clamped to what 16 bits hold), with no text chunks at all. */
export function encodeHuPng16(image: HuImage): Uint8Array {
  const values = new Uint16Array(image.width * image.height);
  for (let i = 0; i < values.length; i++) values[i] = Math.min(65535, Math.max(0, Math.round(image.data[i] + DEEPLESION_HU_OFFSET)));
  return encode({ width: image.width, height: image.height, data: values, depth: 16, channels: 1 }, { zlib: { level: 1 } });
}

/**
 * Decodes with the project's one DICOM decoder (src/imaging; `frame` is passed for multi-frame files) and
 * writes the PNG by temp file + rename, so a kill leaves either the old file or the new one.
 */
export function writeSlice(job: SliceWriteJob): SliceWriteResult {
  try {
    const stat = fs.statSync(job.source);
    if (!stat.isFile() || stat.size > job.maxBytes) return { ok: false, message: 'no longer a file within the size limit' };
    const bytes = fs.readFileSync(job.source);
    const options: DecodeSliceOptions & { frame?: number } = { encoding: 'dicom', maxPixels: job.maxPixels };
    if (job.frame > 1) options.frame = job.frame - 1;
    const { image } = decodeSlice(bytes, options);
    if (image.width !== job.columns || image.height !== job.rows)
      return { ok: false, message: `decoded ${image.width}×${image.height}, the header says ${job.columns}×${job.rows}` };
    fs.mkdirSync(path.dirname(job.target), { recursive: true });
    const temp = `${job.target}.${process.pid}.tmp`;
    fs.writeFileSync(temp, encodeHuPng16(image));
    fs.renameSync(temp, job.target);
    return { ok: true };
  } catch (error) {
    return { ok: false, message: (error as Error).message.slice(0, 300) };
  }
}
