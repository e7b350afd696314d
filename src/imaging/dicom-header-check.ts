import { DicomAttributes } from './dicom-attributes';
import { DEFAULT_MAX_IMAGE_PIXELS, ImageFormatError, MAX_PIXEL_SPACING_MM, MAX_SLICE_SIDE, MIN_PIXEL_SPACING_MM, MIN_SLICE_SIDE } from './hu-image';

/**
 * Bounds for the header values of a DICOM CT slice. A CT rescale is slope 1 (sometimes 0.5 or 2) and an
 * intercept near −1024; these bounds are wide, and only keep HU finite and float32-representable.
 */
export const DICOM_LIMITS = {
  minSlope: 1e-4,
  maxSlope: 1e4,
  maxIntercept: 1e5,
  /** Window centre and width in HU. */
  maxWindowCentre: 1e5,
  maxWindowWidth: 1e6,
  /**
   * Frames in one file: an enhanced CT series is a few thousand; a 30,000-frame header is refused before
   * anything is sized from it.
   */
  maxFrames: 10_000,
} as const;

/**
 * Range-checks what a DICOM header says before anything depends on it (patch size, blur kernels,
 * HU values): every problem is a 422 naming the attribute. Independent of the parser: it reads the
 * DicomAttributes summary any parser fills.
 */
export function checkDicomHeader(attributes: DicomAttributes, maxPixels: number = DEFAULT_MAX_IMAGE_PIXELS): void {
  const { rows, columns } = attributes;
  if (rows === null || columns === null) throw refuse('Rows (0028,0010) and Columns (0028,0011) are required');
  if (!inRange(rows, MIN_SLICE_SIDE, MAX_SLICE_SIDE) || !inRange(columns, MIN_SLICE_SIDE, MAX_SLICE_SIDE)) {
    throw refuse(`Rows/Columns ${rows}x${columns} is outside ${MIN_SLICE_SIDE} to ${MAX_SLICE_SIDE}`);
  }
  if (rows * columns > maxPixels) {
    throw refuse(
      `Rows/Columns ${rows}x${columns} (${((rows * columns) / 1e6).toFixed(1)} Mpx) is over the limit of ${(maxPixels / 1e6).toFixed(1)} Mpx per image`,
    );
  }

  const bitsAllocated = attributes.bitsAllocated ?? 16;
  if (bitsAllocated !== 8 && bitsAllocated !== 16) throw refuse(`BitsAllocated (0028,0100) ${bitsAllocated} is not 8 or 16`);
  const bitsStored = attributes.bitsStored ?? bitsAllocated;
  if (!inRange(bitsStored, 1, bitsAllocated)) throw refuse(`BitsStored (0028,0101) ${bitsStored} is outside 1 to BitsAllocated ${bitsAllocated}`);
  const highBit = attributes.highBit ?? bitsStored - 1;
  if (!inRange(highBit, bitsStored - 1, bitsAllocated - 1)) throw refuse(`HighBit (0028,0102) ${highBit} is outside ${bitsStored - 1} to ${bitsAllocated - 1}`);
  if ((attributes.samplesPerPixel ?? 1) !== 1) throw refuse(`SamplesPerPixel (0028,0002) ${attributes.samplesPerPixel} is not 1 (a CT slice is greyscale)`);
  const frames = attributes.numberOfFrames;
  if (frames !== null && !(Number.isInteger(frames) && frames >= 1 && frames <= DICOM_LIMITS.maxFrames)) {
    throw refuse(`NumberOfFrames (0028,0008) ${frames} is outside 1 to ${DICOM_LIMITS.maxFrames}`);
  }

  const spacing = attributes.pixelSpacing;
  if (spacing !== null) {
    if (spacing.length < 2) throw refuse(`PixelSpacing (0028,0030) needs two values (row\\column), got ${spacing.length}`);
    for (const value of spacing.slice(0, 2)) {
      if (!inRange(value, MIN_PIXEL_SPACING_MM, MAX_PIXEL_SPACING_MM)) {
        throw refuse(`PixelSpacing (0028,0030) ${spacing.slice(0, 2).join('\\')} is outside ${MIN_PIXEL_SPACING_MM} to ${MAX_PIXEL_SPACING_MM} mm`);
      }
    }
  }

  const { rescaleSlope: slope, rescaleIntercept: intercept } = attributes;
  if (slope !== null && !inRange(Math.abs(slope), DICOM_LIMITS.minSlope, DICOM_LIMITS.maxSlope)) {
    throw refuse(`RescaleSlope (0028,1053) ${slope} is outside ±${DICOM_LIMITS.minSlope} to ±${DICOM_LIMITS.maxSlope}`);
  }
  if (intercept !== null && !inRange(intercept, -DICOM_LIMITS.maxIntercept, DICOM_LIMITS.maxIntercept)) {
    throw refuse(`RescaleIntercept (0028,1052) ${intercept} is outside ±${DICOM_LIMITS.maxIntercept}`);
  }

  const { windowCenter: centre, windowWidth: width } = attributes;
  if (centre !== null && !inRange(centre, -DICOM_LIMITS.maxWindowCentre, DICOM_LIMITS.maxWindowCentre)) {
    throw refuse(`WindowCenter (0028,1050) ${centre} is outside ±${DICOM_LIMITS.maxWindowCentre} HU`);
  }
  if (width !== null && !(width > 0 && width <= DICOM_LIMITS.maxWindowWidth)) {
    throw refuse(`WindowWidth (0028,1051) ${width} is outside 0 to ${DICOM_LIMITS.maxWindowWidth} HU`);
  }
}

/** Finite and within [min, max] (NaN fails every comparison, so it is out of range). */
function inRange(value: number, min: number, max: number): boolean {
  return Number.isFinite(value) && value >= min && value <= max;
}

function refuse(problem: string): ImageFormatError {
  return new ImageFormatError(`unusable DICOM header: ${problem}`, 422);
}
