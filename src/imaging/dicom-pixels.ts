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
