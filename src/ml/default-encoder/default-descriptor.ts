import { DescriptorBlock } from '../encoder-manifest';
import { DEFAULT_SCATTERING_INPUT } from '../descriptor/scattering-inputs';
import { DEFAULT_SCATTERING_DESIGN, scatteringLayout } from './scattering-design';

/**
 * Recommended block weights of the default descriptor, [h, 2·s, 0.5·p]: cosine similarity is then
 * (S_hist + 4·S_scat + 0.25·S_pos) / 5.25. Chosen on the 51-lesion DeepLesion sample by a grid over
 * the scattering (0.5–3) and position (0–1) weights scored by mAP (bench/retrieval-dev.ts); nested
 * leave-one-patient-out selection picked scattering weights 1.75–3 throughout. The prototype used
 * [h, s, 0.5·p].
 */
export const DEFAULT_BLOCK_WEIGHTS = { huHistogram: 1, scattering: 2, bodyPosition: 0.5 } as const;

/** The descriptor blocks of the default encoder in manifest form. */
export function defaultDescriptorBlocks(J = DEFAULT_SCATTERING_DESIGN.J, L = DEFAULT_SCATTERING_DESIGN.L): DescriptorBlock[] {
  const channels = DEFAULT_SCATTERING_INPUT.windows.length;
  return [
    // The histogram's two halves are already normalised separately by huHistogramBlock.
    { kind: 'hu-histogram', weight: DEFAULT_BLOCK_WEIGHTS.huHistogram },
    { kind: 'model', weight: DEFAULT_BLOCK_WEIGHTS.scattering, subBlocks: scatteringLayout({ J, L, channels }).subBlocks },
    { kind: 'body-position', weight: DEFAULT_BLOCK_WEIGHTS.bodyPosition },
  ];
}
