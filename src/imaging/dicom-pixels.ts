/**
 * Stored pixel values → HU, for any transfer syntax once its frame is decoded to integer samples.
 * Pure: the caller has already checked the header's ranges.
 */
export interface StoredPixelFormat {
  bitsStored: number;
  /** Right shift that brings the stored bits down to bit 0: HighBit + 1 − BitsStored for native data, 0 for compressed frames. */
  shift: number;
  /** PixelRepresentation 1: two's complement, sign-extended from the top stored bit. */
  signed: boolean;
}

export interface HuMapping {
  slope: number;
  intercept: number;
  /**
   * Pixel Padding Value (0028,0120) and Range Limit (0028,0121) as stored values, inclusive, low ≤ high;
   * null when the file declares none.
   */
  padding: { low: number; high: number } | null;
  /** HU written for padding pixels; null: the smallest HU among the image's other pixels. */
  paddingHu: number | null;
  /**
   * Invert the stored values (MONOCHROME1 without a rescale). With a rescale the Modality LUT defines HU
   * whatever the display polarity (PS3.3 C.11.1), so a MONOCHROME1 CT slice is not inverted.
   */
  invert: boolean;
}

/** HU written for padding outside a CT's reconstruction circle: air, what lies there. */
export const CT_PADDING_HU = -1024;

/** Stored value of sample i: bits outside BitsStored (overlays, junk) masked off, sign-extended when signed. */
export function storedValue(raw: number, format: StoredPixelFormat): number {
  const mask = format.bitsStored >= 32 ? 0xffffffff : (1 << format.bitsStored) - 1;
  let v = (raw >> format.shift) & mask;
  if (format.signed && v & (1 << (format.bitsStored - 1))) v -= 1 << format.bitsStored;
  return v;
}

/** Converts decoded samples (one per pixel) to HU into `out`. */
export function samplesToHu(samples: ArrayLike<number>, out: Float32Array, format: StoredPixelFormat, mapping: HuMapping): void {
  const n = out.length;
  const { bitsStored, shift, signed } = format;
  const mask = (1 << bitsStored) - 1;
  const signBit = 1 << (bitsStored - 1);
  const wrap = 1 << bitsStored;
  const inverse = signed ? -1 : mask; // v' = inverse − v keeps the stored range
  const { slope, intercept, padding, invert } = mapping;
  if (!padding && !invert && shift === 0 && bitsStored === 16 && samples instanceof (signed ? Int16Array : Uint16Array)) {
    // The common CT case: the samples are already the stored values.
    for (let i = 0; i < n; i++) out[i] = samples[i] * slope + intercept;
    return;
  }
  let paddingCount = 0;
  let minimum = Infinity;
  for (let i = 0; i < n; i++) {
    let v = (samples[i] >> shift) & mask;
    if (signed && v & signBit) v -= wrap;
    if (padding && v >= padding.low && v <= padding.high) {
      out[i] = NaN; // filled below, once the minimum is known
      paddingCount++;
      continue;
    }
    if (invert) v = inverse - v;
    const hu = v * slope + intercept;
    out[i] = hu;
    if (hu < minimum) minimum = hu;
  }
  if (paddingCount === 0) return;
  const fill = mapping.paddingHu ?? (Number.isFinite(minimum) ? minimum : intercept);
  for (let i = 0; i < n; i++) if (Number.isNaN(out[i])) out[i] = fill;
}

/** How far channels may differ and still be a grey picture: JPEG chroma noise, as decode.ts's looksGrey allows. */
export const GREY_TOLERANCE = 12;

/**
 * A grey picture stored as colour (img2dcm writes a grey JPEG as YBR_FULL_422) → one sample a pixel: RGB's
 * first channel, or YCbCr's luma. Null when the picture is really colour (a CT slice is greyscale).
 * `planar`: PlanarConfiguration 1 (all of one channel, then the next) instead of interleaved.
 */
export function greyFromColour(samples: ArrayLike<number>, pixels: number, ybr: boolean, planar: boolean): Uint8Array | null {
  const grey = new Uint8Array(pixels);
  const at = (i: number, channel: number) => samples[planar ? channel * pixels + i : i * 3 + channel];
  for (let i = 0; i < pixels; i++) {
    const [a, b, c] = [at(i, 0), at(i, 1), at(i, 2)];
    const colour = ybr
      ? Math.abs(b - 128) > GREY_TOLERANCE || Math.abs(c - 128) > GREY_TOLERANCE
      : Math.abs(a - b) > GREY_TOLERANCE || Math.abs(a - c) > GREY_TOLERANCE;
    if (colour) return null;
    grey[i] = a;
  }
  return grey;
}
