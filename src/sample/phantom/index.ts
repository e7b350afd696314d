/**
 * A synthetic CT dataset in the exact shape of NIH DeepLesion (DL_info.csv + 16-bit key-slice PNGs),
 * for demos and tests where the real data cannot be shipped.
 *
 * Everything here is pure and seeded: `planSampleDataset` draws patients, studies, series and lesions;
 * `renderSlice` paints one axial slice of a patient's 3-D phantom; `formatDlInfoCsv` writes the CSV.
 * Writing the files is the repository's job (sample-dataset.repository.ts).
 *
 * Conventions: millimetres, x to the image right (the patient's left), y to the image bottom (posterior),
 * z from the top of the head towards the feet. Anatomy positions are relative to the body centre of the
 * slice, so the same patient looks the same in every study whatever the pixel spacing.
 */

export {
  COARSE_LESION_TYPE_NAMES,
  LABELLED_COARSE_TYPES,
  SAMPLE_IMAGE_SIZE,
  DEFAULT_SAMPLE_PATIENTS,
  DEFAULT_SAMPLE_SEED,
  DL_INFO_HEADER,
  Tissue,
  drawLesionGrowth,
} from './model';
export type { LabelledCoarseType, CoarseLesionType, SampleDatasetOptions, SeriesLesion, SampleSeries, SampleCase, LesionGrowth } from './model';
export type { PatientAnatomy } from './geometry';
export { sliceZmm, renderSliceLayers, renderSliceHu, renderSlice, huToStored, seriesSliceIndexes, listSampleSeries } from './rendering';
export type { RenderOptions } from './rendering';
export { planSampleDataset } from './planning';
export { formatDlInfoCsv } from './csv';
export { DEEPLESION_HU_OFFSET } from '../../imaging/hu-image';
