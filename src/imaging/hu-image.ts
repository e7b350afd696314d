import { InputError } from '../common/input-error';

/**
 * Pixel spacing in mm, named by axis as MONAI's pixdim is: x between columns, y between rows (DICOM
 * PixelSpacing lists the row spacing, y, first), z between the slices of the series where that is known.
 */
export interface PixelSpacing {
  x: number;
  y: number;
  z?: number;
}

/** A CT slice in Hounsfield units, row-major, with its pixel spacing (null: the source does not say). */
export interface HuImage {
  width: number;
  height: number;
  data: Float32Array;
  spacing: PixelSpacing | null;
}

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface HuWindow {
  low: number;
  high: number;
}

/** The error for input that is not a usable CT slice; callers turn it into a 4xx or a skipped row. */
export class ImageFormatError extends InputError {
  constructor(
    message: string,
    /** 415 for a format we recognise but do not support, 422 for a broken or implausible image. */
    override readonly status: 415 | 422 = 422,
  ) {
    super(message, status);
  }
}

// Limits for "is this plausibly a CT slice": DeepLesion is 512², some scanners go to 1024².
export const MAX_SLICE_SIDE = 4096;
export const MIN_SLICE_SIDE = 16;

/**
 * Pixels an image may have before it is decoded (checked from its header): decoding costs about 20 bytes
 * a pixel (a 4096² colour JPEG ~300 MB), so this bounds memory and time per image. 16 Mpx: 4000².
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 16_000_000;

/**
 * Plausible in-plane pixel spacing in mm, the same range as the form field `spacingMm`: below it a 120 mm
 * context spans tens of thousands of pixels (a huge blur kernel), above it a slice would be metres wide.
 */
export const MIN_PIXEL_SPACING_MM = 0.05;
export const MAX_PIXEL_SPACING_MM = 10;

/** A spacing clamped into the plausible range; null for an unknown (absent, non-finite or non-positive) one. */
export function plausibleSpacingMm(spacingMm: number | null | undefined): number | null {
  if (spacingMm === null || spacingMm === undefined || !Number.isFinite(spacingMm) || spacingMm <= 0) return null;
  return Math.min(MAX_PIXEL_SPACING_MM, Math.max(MIN_PIXEL_SPACING_MM, spacingMm));
}

/**
 * Spacing as it enters an image (a file's header, a series row, a form field): x and y clamped into the
 * plausible range, so no later step can be asked for a huge context square. y unknown is taken as x
 * (square pixels); x unknown makes the whole spacing unknown (null). z is kept when positive.
 */
export function pixelSpacing(x: number | null | undefined, y: number | null | undefined = x, z?: number | null): PixelSpacing | null {
  const column = plausibleSpacingMm(x);
  if (column === null) return null;
  const spacing: PixelSpacing = { x: column, y: plausibleSpacingMm(y) ?? column };
  if (z !== null && z !== undefined && Number.isFinite(z) && z > 0) spacing.z = z;
  return spacing;
}

/**
 * A length in pixels as mm, through the column spacing: in-plane lengths here (measured axes, box
 * diagonals, the archive's long axes) take pixels as square. Null when the spacing is unknown.
 */
export function pixelsToMm(lengthPx: number, spacing: PixelSpacing | null): number | null {
  return spacing ? lengthPx * spacing.x : null;
}

/** DeepLesion stores HU + 32768 in unsigned 16-bit PNGs. */
export const DEEPLESION_HU_OFFSET = 32768;

/** Key-slice JPEGs of DeepLesion map −1024..3071 HU linearly onto 0..255. */
export const DEEPLESION_KEYSLICE_WINDOW: HuWindow = { low: -1024, high: 3071 };

export function boxInside(box: Box, width: number, height: number): boolean {
  return box.x1 >= 0 && box.y1 >= 0 && box.x2 <= width && box.y2 <= height && box.x2 > box.x1 && box.y2 > box.y1;
}
