import { prepareDetectorInput, readDetections } from '../detection-core/detector-io';
import { decodeSlice } from '../imaging/decode-slice';
import { boxInside } from '../imaging/hu-image';
import { InputError } from '../common/input-error';
import { preparePatch } from '../ml/prepare-patch';
import { DecodedUpload, namingTheFile, SliceBytes, SliceReadOptions, UploadJob, UploadJobResult } from './upload-job';

/** Does one upload job (on a decode worker); every failure becomes a result, never an exception. */
export function runUploadJob(job: UploadJob): UploadJobResult {
  try {
    if (job.kind === 'decode') return { ok: true, kind: 'decode', slices: job.files.map((file) => decodeOne(file, job.options)) };
    if (job.kind === 'detector-input') return { ok: true, kind: 'detector-input', prepared: prepareDetectorInput(job.manifest, job.slice) };
    if (job.kind === 'detections') return { ok: true, kind: 'detections', detections: readDetections(job.manifest, job.prepared, job.outputs, job.options) };
    if (job.kind === 'patches') {
      const slices = job.manifest.input.sliceOffsetsMm.map(() => job.image);
      const prepared = job.boxes.map((box, key) => preparePatch(job.manifest, { key, slices, box }));
      return { ok: true, kind: 'patches', prepared };
    }
    const decoded = decodeOne(job.file, job.options);
    const { image } = decoded;
    if (!boxInside(job.box, image.width, image.height)) throw new InputError(`box lies outside the ${image.width}x${image.height} image`, 400);
    const slices = job.manifest.input.sliceOffsetsMm.map(() => image);
    const prepared = preparePatch(job.manifest, { key: 0, slices, box: job.box });
    return { ok: true, kind: 'embedding-input', width: image.width, height: image.height, source: decoded.source, spacing: image.spacing, prepared };
  } catch (error) {
    if (error instanceof InputError && error.status !== 413) return { ok: false, status: error.status, message: error.message };
    return { ok: false, status: 500, message: (error as Error)?.stack ?? String(error) };
  }
}

function decodeOne(file: SliceBytes, options: SliceReadOptions): DecodedUpload {
  return namingTheFile(file, () => {
    const { encoding, window, maxPixels, spacing } = options;
    const decoded = decodeSlice(file.bytes, { encoding, window: window ?? undefined, maxPixels, spacing });
    return { image: decoded.image, source: decoded.source };
  });
}
