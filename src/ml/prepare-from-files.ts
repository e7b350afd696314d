import * as fs from 'node:fs';
import { decodeSlice } from '../imaging/decode-slice';
import { DEEPLESION_KEYSLICE_WINDOW, HuImage, ImageFormatError } from '../imaging/hu-image';
import { EncoderManifest } from './encoder-manifest';
import { PatchJob, PrepareResult } from './patch-job';
import { preparePatch } from './prepare-patch';

/** Reads and decodes a job's slices and prepares the model input; runs in a worker or in-line. */
export function prepareFromFiles(job: PatchJob, manifest: EncoderManifest): PrepareResult {
  try {
    const key = decodeFile(job.imagePath, job);
    const slices = job.neighbourPaths.map((p) => (p ? decodeNeighbour(p, job, key) : key));
    return { ok: true, prepared: preparePatch(manifest, { key: job.key, slices, box: job.box }) };
  } catch (error) {
    const message =
      error instanceof ImageFormatError ? error.message : (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'image file is missing' : 'image cannot be read';
    return { ok: false, key: job.key, message };
  }
}

function decodeFile(file: string, job: PatchJob): HuImage {
  return decodeSlice(fs.readFileSync(file), { encoding: job.encoding, window: job.huWindow ?? DEEPLESION_KEYSLICE_WINDOW, spacing: job.spacing }).image;
}

/** A neighbour that cannot be read, or differs in size, is replaced by the key slice rather than failing the lesion. */
function decodeNeighbour(file: string, job: PatchJob, key: HuImage): HuImage {
  try {
    const image = decodeFile(file, job);
    return image.width === key.width && image.height === key.height ? image : key;
  } catch {
    return key;
  }
}
