import * as path from 'node:path';
import { Box, HuWindow, PixelSpacing } from '../imaging/hu-image';

/** What a worker needs to prepare one lesion's model input from files: no database, no session. */
export interface PatchJob {
  /** The caller's key (lesion id, or an index for uploads). */
  key: number;
  /** Key slice first, then one path per `sliceOffsetsMm` entry (null: neighbour absent, the key slice stands in). */
  imagePath: string;
  neighbourPaths: (string | null)[];
  encoding: 'png16' | 'gray8';
  huWindow: HuWindow | null;
  box: Box;
  /** The series' spacing (from its CSV row or DICOM header, through pixelSpacing), given to the decoded slices: their PNGs carry none. */
  spacing: PixelSpacing | null;
}

/** One lesion's model input and hand-crafted blocks. */
export interface PreparedPatch {
  key: number;
  /** [channels, size, size], windows scaled to [0, 1] (then normalised if the manifest says so). */
  patch: Float32Array;
  /** [size, size], 1 inside the box. */
  boxMask: Float32Array;
  histogram: Float32Array;
  position: Float32Array;
}

export type PrepareResult = { ok: true; prepared: PreparedPatch } | { ok: false; key: number; message: string };

/**
 * Neighbour slices for the manifest's offsets: key ± round(offset / slice spacing) in the series
 * folder (`{slice:03d}.png`); null where the key slice stands in (offset 0, no folder or spacing).
 */
export function neighbourSlicePaths(seriesDir: string | null, keySliceIndex: number, spacingZmm: number | null, sliceOffsetsMm: number[]): (string | null)[] {
  return sliceOffsetsMm.map((offset) => {
    if (offset === 0 || !seriesDir || !spacingZmm) return null;
    const index = keySliceIndex + Math.round(offset / spacingZmm);
    return index === keySliceIndex || index < 0 ? null : path.join(seriesDir, `${String(index).padStart(3, '0')}.png`);
  });
}
