import { HuImage, ImageFormatError, MAX_SLICE_SIDE, MIN_SLICE_SIDE } from './hu-image';

/**
 * A CT slice decoded from DICOM: HU pixels plus the geometry, rescale and identity read from the header.
 * `modality` is recorded, not enforced: a non-CT image still decodes and the caller decides.
 */
export interface DicomSlice extends HuImage {
  /** (0028,0030) PixelSpacing: row = spacing between rows (y), column = spacing between columns (x), in mm. */
  pixelSpacingMm: { row: number; column: number } | null;
  sliceThicknessMm: number | null;
  /** The rescale actually applied (1 and 0 when the file has none). */
  rescale: { slope: number; intercept: number };
  uids: { study: string | null; series: string | null; sop: string | null };
  modality: string | null;
  /** First (0028,1050)/(0028,1051) value pair, when present and usable. */
  window: { center: number; width: number } | null;
  /** The header values as the file states them, for range checks (dicom-header-check.ts) before anything uses them. */
  attributes: DicomAttributes;
}

/**
 * Header attributes as read, unvalidated: numbers from text values are NaN where unparsable, null where absent.
 * Any parser that fills DicomSlice fills these, so the checks stay independent of the parser.
 */
export interface DicomAttributes {
  rows: number | null;
  columns: number | null;
  bitsAllocated: number | null;
  bitsStored: number | null;
  highBit: number | null;
  samplesPerPixel: number | null;
  numberOfFrames: number | null;
  /** (0028,0030) all values, row spacing first. */
  pixelSpacing: number[] | null;
  rescaleSlope: number | null;
  rescaleIntercept: number | null;
  windowCenter: number | null;
  windowWidth: number | null;
}

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

const TRANSFER_SYNTAX_NAMES: Record<string, string> = {
  [IMPLICIT_VR_LITTLE_ENDIAN]: 'Implicit VR Little Endian',
  [EXPLICIT_VR_LITTLE_ENDIAN]: 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Multi-component Lossless',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2 Multi-component',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile',
  '1.2.840.10008.1.2.4.101': 'MPEG2 High Profile',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD-compatible',
  '1.2.840.10008.1.2.4.201': 'HTJ2K Lossless',
  '1.2.840.10008.1.2.4.202': 'HTJ2K Lossless RPCL',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

export function transferSyntaxName(uid: string): string {
  return TRANSFER_SYNTAX_NAMES[uid] ?? 'unknown transfer syntax';
}

// VRs whose explicit-VR header is tag(4) VR(2) reserved(2) length(4); all others use a 2-byte length.
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const ALL_VRS = new Set([
  ...LONG_VRS,
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US',
]);

const UNDEFINED_LENGTH = 0xffffffff;
const MAX_NESTING = 32;

// Tags as (group << 16 | element) >>> 0.
const TAG = {
  transferSyntax: 0x00020010,
  sopInstanceUid: 0x00080018,
  modality: 0x00080060,
  sliceThickness: 0x00180050,
  studyUid: 0x0020000d,
  seriesUid: 0x0020000e,
  samplesPerPixel: 0x00280002,
  photometric: 0x00280004,
  numberOfFrames: 0x00280008,
  rows: 0x00280010,
  columns: 0x00280011,
  pixelSpacing: 0x00280030,
  bitsAllocated: 0x00280100,
  bitsStored: 0x00280101,
  highBit: 0x00280102,
  pixelRepresentation: 0x00280103,
  windowCenter: 0x00281050,
  windowWidth: 0x00281051,
  rescaleIntercept: 0x00281052,
  rescaleSlope: 0x00281053,
  floatPixelData: 0x7fe00008,
  doubleFloatPixelData: 0x7fe00009,
  pixelData: 0x7fe00010,
} as const;

const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;

/** The top-level elements we read: value offset and length into the file. */
interface ElementRef {
  offset: number;
  length: number;
}

/** Cheap sniff used by format auto-detection: 'DICM' after the preamble, or a data set starting at byte 0. */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  if (hasPreamble(bytes)) return true;
  if (bytes.length < 12) return false;
  const group = bytes[0] | (bytes[1] << 8);
  if (group !== 0x0002 && group !== 0x0008) return false;
  // Either an explicit VR or an implicit 32-bit length that fits in the file.
  if (ALL_VRS.has(String.fromCharCode(bytes[4], bytes[5]))) return true;
  const length = (bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24)) >>> 0;
  return length !== UNDEFINED_LENGTH && 8 + length <= bytes.length;
}

function hasPreamble(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * Decodes one uncompressed little-endian DICOM CT slice to HU. Everything else — compressed or big-endian
 * transfer syntaxes (415), colour, multi-frame, truncated or corrupt files (422) — is an ImageFormatError.
 */
export function decodeDicom(bytes: Uint8Array): DicomSlice {
  try {
    return decodeDicomUnsafe(bytes);
  } catch (error) {
    if (error instanceof ImageFormatError) throw error;
    // A RangeError from a hostile length or similar: never let a non-format error escape.
    throw new ImageFormatError(`corrupt DICOM: ${(error as Error).message}`, 422);
  }
}

function decodeDicomUnsafe(bytes: Uint8Array): DicomSlice {
  const reader = new Reader(bytes);
  let offset = 0;
  let transferSyntax = IMPLICIT_VR_LITTLE_ENDIAN;
  const preamble = hasPreamble(bytes);
  if (preamble || (bytes.length >= 8 && reader.u16(0) === 0x0002)) {
    const meta = readMetaHeader(reader, preamble ? 132 : 0);
    offset = meta.end;
    if (meta.transferSyntax === null) throw new ImageFormatError('DICOM file meta header has no transfer syntax', 422);
    transferSyntax = meta.transferSyntax;
  } else if (bytes.length >= 8 && bytes[0] === 0 && (bytes[1] === 0x02 || bytes[1] === 0x08) && ALL_VRS.has(reader.ascii(4, 2))) {
    // A bare data set whose first tag reads (0800,xxxx)/(0200,xxxx) little-endian is big-endian.
    throw new ImageFormatError(
      `DICOM transfer syntax 1.2.840.10008.1.2.2 (Explicit VR Big Endian) is not supported; send uncompressed little-endian DICOM`,
      415,
    );
  } else if (!looksLikeDicom(bytes)) {
    throw new ImageFormatError('not a DICOM file: no DICM marker and no data set at the start', 422);
  }

  if (transferSyntax !== IMPLICIT_VR_LITTLE_ENDIAN && transferSyntax !== EXPLICIT_VR_LITTLE_ENDIAN) {
    throw new ImageFormatError(
      `DICOM transfer syntax ${transferSyntax} (${transferSyntaxName(transferSyntax)}) is not supported; send uncompressed little-endian DICOM`,
      415,
    );
  }
  // Like most readers, trust the bytes over a mislabelled header: look at the first element's VR field.
  let explicit = transferSyntax === EXPLICIT_VR_LITTLE_ENDIAN;
  if (offset + 8 <= bytes.length) explicit = ALL_VRS.has(reader.ascii(offset + 4, 2));

  const elements = readDataSet(reader, offset, explicit);
  return buildSlice(reader, elements);
}

function readMetaHeader(reader: Reader, start: number): { end: number; transferSyntax: string | null } {
  let offset = start;
  let transferSyntax: string | null = null;
  while (offset + 8 <= reader.length && reader.u16(offset) === 0x0002) {
    const tag = reader.tag(offset);
    const vr = reader.ascii(offset + 4, 2);
    let valueOffset: number;
    let length: number;
    if (ALL_VRS.has(vr)) {
      if (LONG_VRS.has(vr)) {
        reader.need(offset + 12, 'file meta header');
        length = reader.u32(offset + 8);
        valueOffset = offset + 12;
      } else {
        length = reader.u16(offset + 6);
        valueOffset = offset + 8;
      }
    } else {
      // Some writers put the meta header in implicit VR.
      length = reader.u32(offset + 4);
      valueOffset = offset + 8;
    }
    if (length === UNDEFINED_LENGTH) throw new ImageFormatError('corrupt DICOM: undefined length in the file meta header', 422);
    reader.need(valueOffset + length, 'file meta header');
    if (tag === TAG.transferSyntax) transferSyntax = reader.string(valueOffset, length);
    offset = valueOffset + length;
  }
  return { end: offset, transferSyntax };
}

/** Walks the top-level data set up to the pixel data, skipping sequences; returns the elements found. */
function readDataSet(reader: Reader, start: number, explicit: boolean): Map<number, ElementRef> {
  const elements = new Map<number, ElementRef>();
  let offset = start;
  while (offset < reader.length) {
    if (offset + 8 > reader.length) {
      // Trailing padding shorter than an element header is harmless once we have the pixels.
      if (elements.has(TAG.pixelData)) break;
      throw truncated(offset);
    }
    const header = readElementHeader(reader, offset, explicit);
    const { tag, length, valueOffset } = header;
    if (tag === ITEM || tag === ITEM_DELIMITATION || tag === SEQUENCE_DELIMITATION) {
      if (tag === ITEM) throw new ImageFormatError(`corrupt DICOM: stray sequence item at byte ${offset}`, 422);
      offset = valueOffset; // a stray delimiter has no value
      continue;
    }
    if (tag === TAG.pixelData) {
      if (length === UNDEFINED_LENGTH) {
        throw new ImageFormatError('corrupt DICOM: encapsulated (compressed) pixel data under an uncompressed transfer syntax', 422);
      }
      if (valueOffset + length > reader.length) {
        throw new ImageFormatError(
          `truncated DICOM: pixel data declares ${length} bytes but only ${reader.length - valueOffset} are present`,
          422,
        );
      }
      elements.set(tag, { offset: valueOffset, length });
      break; // nothing after the pixel data matters
    }
    if (length === UNDEFINED_LENGTH) {
      if (!header.sequenceLike) throw new ImageFormatError(`corrupt DICOM: undefined length on ${tagName(tag)}`, 422);
      // UN with undefined length is an implicit-VR-encoded sequence (PS3.5 6.2.2).
      offset = skipUndefinedSequence(reader, valueOffset, header.vr === 'UN' ? false : explicit, 1);
      continue;
    }
    if (valueOffset + length > reader.length) throw truncated(offset, tag);
    elements.set(tag, { offset: valueOffset, length });
    offset = valueOffset + length;
  }
  return elements;
}

interface ElementHeader {
  tag: number;
  vr: string | null;
  length: number;
  valueOffset: number;
  /** May legitimately have undefined length (SQ, UN, or any implicit-VR element). */
  sequenceLike: boolean;
}

function readElementHeader(reader: Reader, offset: number, explicit: boolean): ElementHeader {
  reader.need(offset + 8, 'element header');
  const tag = reader.tag(offset);
  // Item and delimitation tags never carry a VR, in either encoding.
  if (tag >>> 16 === 0xfffe || !explicit) {
    const length = reader.u32(offset + 4);
    return { tag, vr: null, length, valueOffset: offset + 8, sequenceLike: true };
  }
  const vr = reader.ascii(offset + 4, 2);
  if (!ALL_VRS.has(vr)) {
    throw new ImageFormatError(`corrupt DICOM: invalid VR at byte ${offset + 4} for ${tagName(tag)}`, 422);
  }
  if (LONG_VRS.has(vr)) {
    reader.need(offset + 12, 'element header');
    return { tag, vr, length: reader.u32(offset + 8), valueOffset: offset + 12, sequenceLike: vr === 'SQ' || vr === 'UN' };
  }
  return { tag, vr, length: reader.u16(offset + 6), valueOffset: offset + 8, sequenceLike: false };
}

/** Skips the items of an undefined-length sequence starting at `offset`; returns the offset after its delimiter. */
function skipUndefinedSequence(reader: Reader, offset: number, explicit: boolean, depth: number): number {
  if (depth > MAX_NESTING) throw new ImageFormatError('corrupt DICOM: sequences nested too deeply', 422);
  for (;;) {
    reader.need(offset + 8, 'sequence');
    const tag = reader.tag(offset);
    const length = reader.u32(offset + 4);
    offset += 8;
    if (tag === SEQUENCE_DELIMITATION) return offset;
    if (tag !== ITEM) throw new ImageFormatError(`corrupt DICOM: expected a sequence item at byte ${offset - 8}`, 422);
    if (length !== UNDEFINED_LENGTH) {
      reader.need(offset + length, 'sequence item');
      offset += length;
      continue;
    }
    offset = skipUndefinedItem(reader, offset, explicit, depth);
  }
}

/** Skips the elements of an undefined-length item; returns the offset after its item delimiter. */
function skipUndefinedItem(reader: Reader, offset: number, explicit: boolean, depth: number): number {
  for (;;) {
    const header = readElementHeader(reader, offset, explicit);
    if (header.tag === ITEM_DELIMITATION) return header.valueOffset;
    if (header.length === UNDEFINED_LENGTH) {
      if (!header.sequenceLike) throw new ImageFormatError(`corrupt DICOM: undefined length on ${tagName(header.tag)}`, 422);
      offset = skipUndefinedSequence(reader, header.valueOffset, header.vr === 'UN' ? false : explicit, depth + 1);
      continue;
    }
    reader.need(header.valueOffset + header.length, 'sequence item');
    offset = header.valueOffset + header.length;
  }
}

function buildSlice(reader: Reader, elements: Map<number, ElementRef>): DicomSlice {
  const str = (tag: number): string | null => {
    const el = elements.get(tag);
    if (!el || el.length === 0) return null;
    const value = reader.string(el.offset, el.length);
    return value === '' ? null : value;
  };
  const us = (tag: number): number | null => {
    const el = elements.get(tag);
    return el && el.length >= 2 ? reader.u16(el.offset) : null;
  };
  const numbers = (tag: number): number[] | null => {
    const value = str(tag);
    if (value === null) return null;
    return value.split('\\').map((part) => (part.trim() === '' ? NaN : Number(part.trim())));
  };

  const attributes: DicomAttributes = {
    rows: us(TAG.rows),
    columns: us(TAG.columns),
    bitsAllocated: us(TAG.bitsAllocated),
    bitsStored: us(TAG.bitsStored),
    highBit: us(TAG.highBit),
    samplesPerPixel: us(TAG.samplesPerPixel),
    numberOfFrames: numbers(TAG.numberOfFrames)?.[0] ?? null,
    pixelSpacing: numbers(TAG.pixelSpacing),
    rescaleSlope: numbers(TAG.rescaleSlope)?.[0] ?? null,
    rescaleIntercept: numbers(TAG.rescaleIntercept)?.[0] ?? null,
    windowCenter: numbers(TAG.windowCenter)?.[0] ?? null,
    windowWidth: numbers(TAG.windowWidth)?.[0] ?? null,
  };
  const samplesPerPixel = us(TAG.samplesPerPixel) ?? 1;
  const photometric = (str(TAG.photometric) ?? 'MONOCHROME2').toUpperCase();
  if (samplesPerPixel !== 1 || (photometric !== 'MONOCHROME2' && photometric !== 'MONOCHROME1')) {
    throw new ImageFormatError(`colour DICOM is not a CT slice (${photometric}, ${samplesPerPixel} samples per pixel)`, 422);
  }
  const frames = numbers(TAG.numberOfFrames)?.[0];
  if (frames !== undefined && Number.isFinite(frames) && frames > 1) {
    throw new ImageFormatError(`multi-frame DICOM: send one slice (this file has ${frames} frames)`, 422);
  }

  const rows = us(TAG.rows);
  const columns = us(TAG.columns);
  if (rows === null || columns === null) throw new ImageFormatError('DICOM without Rows/Columns is not an image', 422);
  if (rows < MIN_SLICE_SIDE || columns < MIN_SLICE_SIDE || rows > MAX_SLICE_SIDE || columns > MAX_SLICE_SIDE) {
    throw new ImageFormatError(`implausible slice size ${columns}x${rows}`, 422);
  }

  const bitsAllocated = us(TAG.bitsAllocated) ?? 16;
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new ImageFormatError(`DICOM with ${bitsAllocated} bits allocated is not supported; send 8- or 16-bit pixel data`, 415);
  }
  const bitsStored = us(TAG.bitsStored) ?? bitsAllocated;
  const highBit = us(TAG.highBit) ?? bitsStored - 1;
  const signed = (us(TAG.pixelRepresentation) ?? 0) === 1;
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit >= bitsAllocated || highBit + 1 < bitsStored) {
    throw new ImageFormatError(
      `corrupt DICOM: inconsistent BitsAllocated ${bitsAllocated} / BitsStored ${bitsStored} / HighBit ${highBit}`,
      422,
    );
  }

  const pixels = elements.get(TAG.pixelData);
  if (!pixels) {
    if (elements.has(TAG.floatPixelData) || elements.has(TAG.doubleFloatPixelData)) {
      throw new ImageFormatError('DICOM float pixel data is not supported; send integer pixel data', 415);
    }
    throw new ImageFormatError('DICOM has no pixel data', 422);
  }
  const bytesPerPixel = bitsAllocated / 8;
  const expected = rows * columns * bytesPerPixel;
  if (pixels.length < expected) {
    throw new ImageFormatError(`truncated DICOM: pixel data has ${pixels.length} bytes, ${columns}x${rows}x${bitsAllocated}-bit needs ${expected}`, 422);
  }
  if (pixels.length >= 2 * expected) {
    // A whole extra frame: an undeclared frame count, or a header that does not describe these pixels.
    throw new ImageFormatError(
      `corrupt DICOM: pixel data has ${pixels.length} bytes, enough for more than one ${columns}x${rows}x${bitsAllocated}-bit frame (${expected} bytes)`,
      422,
    );
  }
  // Less than a frame of excess is trailing padding (some writers pad the element); it is ignored, as pydicom does.

  const slopeValue = numbers(TAG.rescaleSlope)?.[0];
  const interceptValue = numbers(TAG.rescaleIntercept)?.[0];
  const slope = slopeValue ?? 1;
  const intercept = interceptValue ?? 0;
  if (!Number.isFinite(slope) || slope === 0 || !Number.isFinite(intercept)) {
    throw new ImageFormatError(`corrupt DICOM: unusable rescale slope ${str(TAG.rescaleSlope)} / intercept ${str(TAG.rescaleIntercept)}`, 422);
  }

  const data = new Float32Array(rows * columns);
  decodePixels(reader.bytes, pixels.offset, data, bitsAllocated, bitsStored, highBit, signed, slope, intercept);

  const spacing = numbers(TAG.pixelSpacing);
  const pixelSpacingMm =
    spacing && spacing.length >= 2 && positive(spacing[0]) && positive(spacing[1]) ? { row: spacing[0], column: spacing[1] } : null;
  const thickness = numbers(TAG.sliceThickness)?.[0];
  const center = numbers(TAG.windowCenter)?.[0];
  const width = numbers(TAG.windowWidth)?.[0];

  return {
    width: columns,
    height: rows,
    data,
    pixelSpacingMm,
    sliceThicknessMm: thickness !== undefined && positive(thickness) ? thickness : null,
    rescale: { slope, intercept },
    uids: { study: str(TAG.studyUid), series: str(TAG.seriesUid), sop: str(TAG.sopInstanceUid) },
    modality: str(TAG.modality)?.toUpperCase() ?? null,
    window: center !== undefined && width !== undefined && Number.isFinite(center) && positive(width) ? { center, width } : null,
    attributes,
  };
}

/**
 * Stored value → HU. Bits outside BitsStored (overlays, junk) are masked off and signed values are sign-extended
 * from HighBit. MONOCHROME1 is not inverted: the rescale maps stored values to HU whatever the display polarity
 * (PS3.3 C.11.1), and the photometric interpretation only says how to show them.
 */
function decodePixels(
  bytes: Uint8Array,
  offset: number,
  out: Float32Array,
  bitsAllocated: number,
  bitsStored: number,
  highBit: number,
  signed: boolean,
  slope: number,
  intercept: number,
): void {
  const n = out.length;
  const shift = highBit + 1 - bitsStored;
  const mask = (1 << bitsStored) - 1;
  const signBit = 1 << (bitsStored - 1);
  const wrap = 1 << bitsStored;
  if (bitsAllocated === 16) {
    if (shift === 0 && bitsStored === 16) {
      if (signed) {
        for (let i = 0, p = offset; i < n; i++, p += 2) {
          const v = bytes[p] | (bytes[p + 1] << 8);
          out[i] = (v >= 0x8000 ? v - 0x10000 : v) * slope + intercept;
        }
      } else {
        for (let i = 0, p = offset; i < n; i++, p += 2) out[i] = (bytes[p] | (bytes[p + 1] << 8)) * slope + intercept;
      }
      return;
    }
    for (let i = 0, p = offset; i < n; i++, p += 2) {
      let v = ((bytes[p] | (bytes[p + 1] << 8)) >> shift) & mask;
      if (signed && v & signBit) v -= wrap;
      out[i] = v * slope + intercept;
    }
    return;
  }
  for (let i = 0, p = offset; i < n; i++, p++) {
    let v = (bytes[p] >> shift) & mask;
    if (signed && v & signBit) v -= wrap;
    out[i] = v * slope + intercept;
  }
}

function positive(value: number): boolean {
  return Number.isFinite(value) && value > 0;
}

function truncated(offset: number, tag?: number): ImageFormatError {
  const what = tag === undefined ? 'an element header' : tagName(tag);
  return new ImageFormatError(`truncated DICOM: ${what} at byte ${offset} runs past the end of the file`, 422);
}

function tagName(tag: number): string {
  const hex = (v: number) => v.toString(16).toUpperCase().padStart(4, '0');
  return `(${hex(tag >>> 16)},${hex(tag & 0xffff)})`;
}

class Reader {
  readonly length: number;

  constructor(readonly bytes: Uint8Array) {
    this.length = bytes.length;
  }

  need(end: number, what: string): void {
    if (end > this.length) throw new ImageFormatError(`truncated DICOM: ${what} runs past the end of the file`, 422);
  }

  u16(offset: number): number {
    return this.bytes[offset] | (this.bytes[offset + 1] << 8);
  }

  u32(offset: number): number {
    const b = this.bytes;
    return (b[offset] | (b[offset + 1] << 8) | (b[offset + 2] << 16) | (b[offset + 3] << 24)) >>> 0;
  }

  tag(offset: number): number {
    return ((this.u16(offset) << 16) | this.u16(offset + 2)) >>> 0;
  }

  /** Two bytes as ASCII (a VR or similar code). */
  ascii(offset: number, length: 2): string {
    return String.fromCharCode(this.bytes[offset], this.bytes[offset + 1]).slice(0, length);
  }

  /** A text value with DICOM padding (trailing NULs and spaces, leading spaces) removed. */
  string(offset: number, length: number): string {
    let text = '';
    const end = offset + length;
    for (let i = offset; i < end; i++) text += String.fromCharCode(this.bytes[i]);
    return text.replace(/[\0 ]+$/, '').replace(/^ +/, '');
  }
}
