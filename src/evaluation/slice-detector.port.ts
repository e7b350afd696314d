import { Box, HuImage } from '../imaging/hu-image';

/**
 * The detector as the detection evaluation uses it. src/detection's DetectorService is one; the module
 * that provides it is handed to `EvaluationModule.standalone` by the CLI, so evaluation does not import
 * src/detection.
 */
export const SLICE_DETECTOR = Symbol('SLICE_DETECTOR');

export interface SliceDetector {
  readonly loaded: { modelId: string; manifest: { name: string } };
  detect(slice: { image: HuImage }, options: { scoreThreshold?: number }): Promise<{ detections: { box: Box; score: number }[] }>;
}
