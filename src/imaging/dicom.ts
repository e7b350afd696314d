import * as dicomParser from 'dicom-parser';
import { inflateRawSync } from 'node:zlib';
import { CodecError, FrameLayout } from './codecs/frame';
import { PIXEL_CODECS, PixelCodec, TRANSFER_SYNTAXES } from './codecs/registry';
import { CodecUnavailableError } from './codecs/wasm-module';
import { DicomAttributes } from './dicom-attributes';
import { checkDicomHeader } from './dicom-header-check';
import { CT_PADDING_HU, greyFromColour, samplesToHu } from './dicom-pixels';
import { DEFAULT_MAX_IMAGE_PIXELS, HuImage, ImageFormatError, pixelSpacing } from './hu-image';

export type { DicomAttributes } from './dicom-attributes';

/**
 * A CT slice decoded from DICOM: HU pixels plus the geometry, rescale and identity read from the header.
 * Its `spacing` is (0028,0030) PixelSpacing (row\column: y then x), without z: one file does not say how
 * far apart its series' slices lie (SliceThickness is the slab's width, not that distance).
 * `modality` is recorded, not enforced: a non-CT image still decodes and the caller decides.
 */
export interface DicomSlice extends HuImage {
  sliceThicknessMm: number | null;
  /** The rescale actually applied (1 and 0 when the file has none). */
  rescale: { slope: number; intercept: number };
  uids: { study: string | null; series: string | null; sop: string | null };
  modality: string | null;
  /** First (0028,1050)/(0028,1051) value pair, when present and usable. */
  window: { center: number; width: number } | null;
  /** The header values as the file states them, for range checks (dicom-header-check.ts) before anything uses them. */
  attributes: DicomAttributes;
  transferSyntax: string;
  /** NumberOfFrames (1 when absent) and the 0-based frame decoded. */
  numberOfFrames: number;
  frame: number;
}

export interface DecodeDicomOptions {
  /** 0-based frame of a multi-frame file (default 0); outside 0 to NumberOfFrames − 1 is a 422. */
  frame?: number;
  /** Images over this many pixels are refused from their header, before decoding (default DEFAULT_MAX_IMAGE_PIXELS). */
  maxPixels?: number;
  /** A deflated data set may inflate to at most this many bytes (default MAX_INFLATED_BYTES). */
  maxInflatedBytes?: number;
}

/** Bound on a deflated data set's inflated size: a few hundred frames of 512² CT; a deflate bomb stops here. */
export const MAX_INFLATED_BYTES = 256 * 2 ** 20;

export const IMPLICIT_VR_LITTLE_ENDIAN = TRANSFER_SYNTAXES.implicitLittle;
export const EXPLICIT_VR_LITTLE_ENDIAN = TRANSFER_SYNTAXES.explicitLittle;

// Syntaxes we recognise but do not decode, named in the 415.
const OTHER_TRANSFER_SYNTAX_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Multi-component Lossless',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2 Multi-component',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile',
  '1.2.840.10008.1.2.4.101': 'MPEG2 High Profile',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD-compatible',
  '1.2.840.10008.1.2.4.104': 'MPEG-4 AVC/H.264 for 2D Video',
  '1.2.840.10008.1.2.4.105': 'MPEG-4 AVC/H.264 for 3D Video',
  '1.2.840.10008.1.2.4.106': 'MPEG-4 AVC/H.264 Stereo',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265 Main Profile',
  '1.2.840.10008.1.2.4.108': 'HEVC/H.265 Main 10 Profile',
};

export function transferSyntaxName(uid: string): string {
  return PIXEL_CODECS.get(uid)?.name ?? OTHER_TRANSFER_SYNTAX_NAMES[uid] ?? 'unknown transfer syntax';
}

// Every VR of PS3.5 6.2: an explicit-VR data set has one of these at byte 4 of its first element.
const ALL_VRS = new Set([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
]);
const UNDEFINED_LENGTH = 0xffffffff;
const COLOUR_PHOTOMETRICS = new Set(['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_ICT', 'YBR_RCT']);

/** Cheap sniff used by format auto-detection: 'DICM' after the preamble, or a data set starting at byte 0. */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  if (hasPreamble(bytes)) return true;
  if (bytes.length < 12) return false;
  if (bareBigEndian(bytes)) return true;
  const group = bytes[0] | (bytes[1] << 8);
  if (group !== 0x0002 && group !== 0x0008) return false;
  // Either an explicit VR or an implicit 32-bit length that fits in the file.
  if (ALL_VRS.has(vrAt(bytes, 4))) return true;
  const length = (bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24)) >>> 0;
  return length !== UNDEFINED_LENGTH && 8 + length <= bytes.length;
}

function hasPreamble(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** A bare data set whose first tag reads (0008,xxxx) big-endian, with an explicit VR. */
function bareBigEndian(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x08 && ALL_VRS.has(vrAt(bytes, 4));
}

function vrAt(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset], bytes[offset + 1]);
}

/**
 * Decodes one frame of a DICOM CT image to HU, for every transfer syntax a CT archive holds (PIXEL_CODECS).
 * The header is parsed (dicom-parser) and range-checked (checkDicomHeader) before any pixel is decoded;
 * every refusal is an ImageFormatError: 415 for a syntax or pixel format we do not decode, 422 for a
 * broken, truncated or implausible file.
 */
export function decodeDicom(bytes: Uint8Array, options: DecodeDicomOptions = {}): DicomSlice {
  try {
    return decodeDicomUnsafe(bytes, options);
  } catch (error) {
    if (error instanceof ImageFormatError || error instanceof CodecUnavailableError) throw error;
    if (error instanceof CodecError) throw new ImageFormatError(error.message, error.status);
    // dicom-parser throws strings, Errors and { exception, dataSet } objects for malformed input; a hostile
    // length can also raise a RangeError. None of them is the server's fault.
    const problem = describe(error);
    if (/overrun|past (the )?end|end of (the )?buffer/i.test(problem)) {
      throw new ImageFormatError(`truncated DICOM: an element runs past the end of the file (${problem})`, 422);
    }
    throw new ImageFormatError(`corrupt DICOM: ${problem}`, 422);
  }
}

function describe(error: unknown): string {
  if (typeof error === 'string') return error.replace(/^dicomParser\.[A-Za-z0-9]+: /, '');
  if (error instanceof Error) return error.message.replace(/^dicomParser\.[A-Za-z0-9]+: /, '');
  if (error && typeof error === 'object' && 'exception' in error) return describe((error as { exception: unknown }).exception);
  return 'unreadable data set';
}

function decodeDicomUnsafe(bytes: Uint8Array, options: DecodeDicomOptions): DicomSlice {
  const dataSet = parse(bytes, options.maxInflatedBytes ?? MAX_INFLATED_BYTES);
  const transferSyntax = text(dataSet, 'x00020010') ?? IMPLICIT_VR_LITTLE_ENDIAN;
  const codec = PIXEL_CODECS.get(transferSyntax);
  if (!codec) {
    throw new ImageFormatError(
      `DICOM transfer syntax ${transferSyntax} (${transferSyntaxName(transferSyntax)}) is not supported: it carries no decodable CT image`,
      415,
    );
  }
  const pixelData = dataSet.elements.x7fe00010;
  if (!pixelData) {
    if (dataSet.elements.x7fe00008 || dataSet.elements.x7fe00009)
      throw new ImageFormatError('DICOM float pixel data is not supported; send integer pixel data', 415);
    throw new ImageFormatError('DICOM has no pixel data (7FE0,0010): not an image', 422);
  }

  const samplesPerPixel = dataSet.uint16('x00280002') ?? 1;
  const photometric = (text(dataSet, 'x00280004') ?? 'MONOCHROME2').toUpperCase();
  const bitsAllocated = dataSet.uint16('x00280100') ?? 16;
  const monochrome = samplesPerPixel === 1 && (photometric === 'MONOCHROME2' || photometric === 'MONOCHROME1');
  // A grey picture saved as 8-bit colour (img2dcm's YBR_FULL_422 JPEG, an RGB secondary capture) is read
  // as grey if its channels agree; real colour is refused below, once decoded.
  const colourGrey = samplesPerPixel === 3 && bitsAllocated === 8 && COLOUR_PHOTOMETRICS.has(photometric);
  if (!monochrome && !colourGrey) {
    throw new ImageFormatError(`colour DICOM is not a CT slice (${photometric}, ${samplesPerPixel} samples per pixel)`, 422);
  }
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new ImageFormatError(`DICOM with ${bitsAllocated} bits allocated is not supported; send 8- or 16-bit pixel data`, 415);
  }

  const frames = numbers(dataSet, 'x00280008')?.[0] ?? null;
  const frame = options.frame ?? 0;
  // The decoded frame's functional groups (enhanced CT) override the top-level values.
  const groupFrame = frames !== null && Number.isInteger(frames) && frame < frames ? frame : 0;
  const measures = functionalGroup(dataSet, groupFrame, 'x00289110');
  const transformation = functionalGroup(dataSet, groupFrame, 'x00289145');
  const voi = functionalGroup(dataSet, groupFrame, 'x00289132');
  const rescaleSource = transformation ?? dataSet;
  const spacing = numbers(measures ?? dataSet, 'x00280030') ?? numbers(dataSet, 'x00280030');
  const attributes: DicomAttributes = {
    rows: dataSet.uint16('x00280010') ?? null,
    columns: dataSet.uint16('x00280011') ?? null,
    bitsAllocated,
    bitsStored: dataSet.uint16('x00280101') ?? null,
    highBit: dataSet.uint16('x00280102') ?? null,
    // A colour-encoded grey picture becomes one sample a pixel before anything else sees it.
    samplesPerPixel: colourGrey ? 1 : samplesPerPixel,
    numberOfFrames: frames,
    pixelSpacing: spacing,
    rescaleSlope: numbers(rescaleSource, 'x00281053')?.[0] ?? null,
    rescaleIntercept: numbers(rescaleSource, 'x00281052')?.[0] ?? null,
    windowCenter: numbers(voi ?? dataSet, 'x00281050')?.[0] ?? null,
    windowWidth: numbers(voi ?? dataSet, 'x00281051')?.[0] ?? null,
  };
  // Everything below sizes buffers or computes HU from these values: check them first.
  checkDicomHeader(attributes, options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS);
  const rows = attributes.rows!;
  const columns = attributes.columns!;
  const frameCount = frames ?? 1;
  if (!Number.isInteger(frame) || frame < 0 || frame >= frameCount) {
    throw new ImageFormatError(`frame ${frame} is outside 0 to ${frameCount - 1} (NumberOfFrames (0028,0008) ${frameCount})`, 422);
  }
  const bitsStored = attributes.bitsStored ?? bitsAllocated;
  const highBit = attributes.highBit ?? bitsStored - 1;
  const signed = (dataSet.uint16('x00280103') ?? 0) === 1;
  const slope = attributes.rescaleSlope ?? 1;
  const intercept = attributes.rescaleIntercept ?? 0;
  if (!Number.isFinite(slope) || slope === 0 || !Number.isFinite(intercept)) {
    throw new ImageFormatError(`corrupt DICOM: unusable RescaleSlope (0028,1053) ${slope} / RescaleIntercept (0028,1052) ${intercept}`, 422);
  }

  const layout: FrameLayout = { rows, columns, bitsAllocated, bitsStored, samplesPerPixel: colourGrey ? 3 : 1, signed };
  let samples = codec.decode(frameBytes(dataSet, pixelData, codec, layout, frame, frameCount), layout);
  if (samples.length < rows * columns * layout.samplesPerPixel) {
    throw new ImageFormatError(`${codec.name} frame decodes to fewer pixels than Rows x Columns ${rows}x${columns}`, 422);
  }
  if (colourGrey) {
    const ybr = photometric.startsWith('YBR') && !codec.outputsRgb;
    const planar = !codec.encapsulated && dataSet.uint16('x00280006') === 1;
    const grey = greyFromColour(samples, rows * columns, ybr, planar);
    if (!grey) throw new ImageFormatError(`colour DICOM is not a CT slice (${photometric} with channels that differ)`, 422);
    samples = grey;
  }

  const modality = text(dataSet, 'x00080060')?.toUpperCase() ?? null;
  const data = new Float32Array(rows * columns);
  samplesToHu(
    samples,
    data,
    { bitsStored, shift: codec.encapsulated ? 0 : highBit + 1 - bitsStored, signed },
    {
      slope,
      intercept,
      padding: paddingRange(dataSet, signed),
      // Outside a CT's reconstruction circle lies air; other modalities have no fixed value: their darkest pixel.
      paddingHu: modality === 'CT' || modality === null ? CT_PADDING_HU : null,
      invert: photometric === 'MONOCHROME1' && attributes.rescaleSlope === null && attributes.rescaleIntercept === null,
    },
  );

  const thickness = numbers(measures ?? dataSet, 'x00180050')?.[0] ?? numbers(dataSet, 'x00180050')?.[0];
  const { windowCenter: center, windowWidth: width } = attributes;
  return {
    width: columns,
    height: rows,
    data,
    spacing: spacing && spacing.length >= 2 && positive(spacing[0]) && positive(spacing[1]) ? pixelSpacing(spacing[1], spacing[0]) : null,
    sliceThicknessMm: thickness !== undefined && positive(thickness) ? thickness : null,
    rescale: { slope, intercept },
    uids: { study: text(dataSet, 'x0020000d'), series: text(dataSet, 'x0020000e'), sop: text(dataSet, 'x00080018') },
    modality,
    window: center !== null && width !== null && Number.isFinite(center) && positive(width) ? { center, width } : null,
    attributes,
    transferSyntax,
    numberOfFrames: frameCount,
    frame,
  };
}

/** Parses the whole file (no pixel decoding); a bare data set's syntax is sniffed from its first element. */
function parse(bytes: Uint8Array, maxInflatedBytes: number): dicomParser.DataSet {
  try {
    return parseUnchecked(bytes, maxInflatedBytes);
  } catch (error) {
    // The parser stops at native pixel data running past the end of the file; say so plainly.
    const partial = (error as { dataSet?: dicomParser.DataSet } | null)?.dataSet;
    const pixels = partial?.elements?.x7fe00010;
    if (partial && pixels && !pixels.encapsulatedPixelData && pixels.dataOffset + pixels.length > partial.byteArray.length) {
      throw new ImageFormatError(
        `truncated DICOM: pixel data declares ${pixels.length} bytes but only ${Math.max(0, partial.byteArray.length - pixels.dataOffset)} are present`,
        422,
      );
    }
    throw error;
  }
}

function parseUnchecked(bytes: Uint8Array, maxInflatedBytes: number): dicomParser.DataSet {
  const inflater = (byteArray: Uint8Array, position: number): Uint8Array => inflate(byteArray, position, maxInflatedBytes);
  if (hasPreamble(bytes)) return dicomParser.parseDicom(bytes, { inflater } as dicomParser.ParseDicomOptions);
  if (bytes.length >= 8 && (bytes[0] | (bytes[1] << 8)) === 0x0002) {
    // A file meta header without the preamble: give it one, so the parser reads the meta header as such.
    const withPreamble = new Uint8Array(132 + bytes.length);
    withPreamble.set([0x44, 0x49, 0x43, 0x4d], 128);
    withPreamble.set(bytes, 132);
    return dicomParser.parseDicom(withPreamble, { inflater } as dicomParser.ParseDicomOptions);
  }
  if (!looksLikeDicom(bytes)) throw new ImageFormatError('not a DICOM file: no DICM marker and no data set at the start', 422);
  const transferSyntax = bareBigEndian(bytes)
    ? TRANSFER_SYNTAXES.explicitBig
    : ALL_VRS.has(vrAt(bytes, 4))
      ? EXPLICIT_VR_LITTLE_ENDIAN
      : IMPLICIT_VR_LITTLE_ENDIAN;
  const dataSet = dicomParser.parseDicom(bytes, { TransferSyntaxUID: transferSyntax });
  // The parser's stand-in meta header carries the syntax as a value, not as bytes; keep it readable.
  dataSet.elements.x00020010 = { tag: 'x00020010', length: 0, dataOffset: 0, vr: 'UI', Value: transferSyntax } as dicomParser.Element;
  return dataSet;
}

/** Deflated Explicit VR Little Endian: the data set after the meta header, inflated with a bound. */
function inflate(byteArray: Uint8Array, position: number, maxInflatedBytes: number): Uint8Array {
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(byteArray.subarray(position), { maxOutputLength: maxInflatedBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new ImageFormatError(`deflated DICOM data set inflates to more than ${Math.round(maxInflatedBytes / 2 ** 20)} MiB`, 422);
    }
    throw new ImageFormatError(`corrupt deflated DICOM data set: ${(error as Error).message}`, 422);
  }
  const full = new Uint8Array(position + inflated.length);
  full.set(byteArray.subarray(0, position));
  full.set(inflated, position);
  return full;
}

/**
 * One frame's bytes: its share of native pixel data, or its fragments of encapsulated pixel data joined.
 * Every length is checked against the bytes present before anything is copied.
 */
function frameBytes(
  dataSet: dicomParser.DataSet,
  element: dicomParser.Element,
  codec: PixelCodec,
  layout: FrameLayout,
  frame: number,
  frames: number,
): Uint8Array {
  const bytes = dataSet.byteArray as Uint8Array;
  if (!codec.encapsulated) {
    if (element.encapsulatedPixelData) {
      throw new ImageFormatError('corrupt DICOM: encapsulated (compressed) pixel data under an uncompressed transfer syntax', 422);
    }
    const available = bytes.length - element.dataOffset;
    if (element.length > available) {
      throw new ImageFormatError(`truncated DICOM: pixel data declares ${element.length} bytes but only ${available} are present`, 422);
    }
    const perFrame = layout.rows * layout.columns * layout.samplesPerPixel * (layout.bitsAllocated / 8);
    const needed = perFrame * frames;
    const shape = `${frames} frame(s) of ${layout.columns}x${layout.rows}x${layout.bitsAllocated}-bit`;
    if (element.length < needed) throw new ImageFormatError(`truncated DICOM: pixel data has ${element.length} bytes, ${shape} need ${needed}`, 422);
    // Less than a frame of excess is trailing padding (some writers pad the element), ignored as pydicom does;
    // a whole extra frame means the header does not describe these pixels.
    if (element.length >= needed + perFrame) {
      throw new ImageFormatError(`corrupt DICOM: pixel data has ${element.length} bytes, enough for more than ${shape} (${needed} bytes)`, 422);
    }
    const start = element.dataOffset + frame * perFrame;
    return bytes.subarray(start, start + perFrame);
  }
  if (!element.encapsulatedPixelData || !element.fragments) {
    throw new ImageFormatError(`corrupt DICOM: ${codec.name} needs encapsulated pixel data, the file has native pixel data`, 422);
  }
  const fragments = element.fragments;
  for (const fragment of fragments) {
    if (fragment.position + fragment.length > bytes.length) {
      throw new ImageFormatError(`truncated DICOM: a pixel data fragment declares ${fragment.length} bytes, past the end of the file`, 422);
    }
  }
  const pick = framefragments(fragments, element.basicOffsetTable ?? [], frame, frames, bytes, codec);
  if (pick.length === 0) throw new ImageFormatError(`corrupt DICOM: no pixel data fragment for frame ${frame}`, 422);
  if (pick.length === 1) return bytes.subarray(pick[0].position, pick[0].position + pick[0].length);
  const joined = new Uint8Array(pick.reduce((n, f) => n + f.length, 0));
  let offset = 0;
  for (const f of pick) {
    joined.set(bytes.subarray(f.position, f.position + f.length), offset);
    offset += f.length;
  }
  return joined;
}

/** The fragments of one frame (PS3.5 A.4): by the offset table, one per frame, all for one frame, or by start markers. */
function framefragments(
  fragments: dicomParser.Fragment[],
  offsetTable: number[],
  frame: number,
  frames: number,
  bytes: Uint8Array,
  codec: PixelCodec,
): dicomParser.Fragment[] {
  if (frames === 1) return fragments;
  if (offsetTable.length === frames) {
    const start = offsetTable[frame];
    const end = frame + 1 < frames ? offsetTable[frame + 1] : Infinity;
    return fragments.filter((f) => f.offset >= start && f.offset < end);
  }
  if (fragments.length === frames) return [fragments[frame]];
  if (codec.name.startsWith('RLE')) throw new ImageFormatError(`corrupt DICOM: ${fragments.length} RLE fragments for ${frames} frames`, 422);
  // No offset table and several fragments a frame: a frame starts at a fragment opening with SOI (JPEG) or SOC (JPEG 2000).
  const starts = fragments
    .map((f, i) => ({ i, start: bytes[f.position] === 0xff && (bytes[f.position + 1] === 0xd8 || bytes[f.position + 1] === 0x4f) }))
    .filter((f) => f.start)
    .map((f) => f.i);
  if (starts.length !== frames)
    throw new ImageFormatError(`corrupt DICOM: found ${starts.length} frames in the pixel data, NumberOfFrames says ${frames}`, 422);
  return fragments.slice(starts[frame], frame + 1 < frames ? starts[frame + 1] : fragments.length);
}

/** The first item of a functional group sequence for a frame: per-frame (5200,9230), else shared (5200,9229). */
function functionalGroup(dataSet: dicomParser.DataSet, frame: number, sequenceTag: string): dicomParser.DataSet | null {
  const inItem = (group: dicomParser.DataSet | undefined) => group?.elements[sequenceTag]?.items?.[0]?.dataSet ?? null;
  return inItem(dataSet.elements.x52009230?.items?.[frame]?.dataSet) ?? inItem(dataSet.elements.x52009229?.items?.[0]?.dataSet);
}

/** Pixel Padding Value (0028,0120) and Range Limit (0028,0121) as stored values (US or SS by PixelRepresentation). */
function paddingRange(dataSet: dicomParser.DataSet, signed: boolean): { low: number; high: number } | null {
  const read = (tag: string) => {
    const value = dataSet.elements[tag] && dataSet.elements[tag].length >= 2 ? dataSet.uint16(tag) : undefined;
    if (value === undefined) return null;
    return signed && value >= 0x8000 ? value - 0x10000 : value;
  };
  const value = read('x00280120');
  if (value === null) return null;
  const limit = read('x00280121') ?? value;
  return { low: Math.min(value, limit), high: Math.max(value, limit) };
}

function text(dataSet: dicomParser.DataSet, tag: string): string | null {
  const element = dataSet.elements[tag] as (dicomParser.Element & { Value?: string }) | undefined;
  if (!element) return null;
  if (typeof element.Value === 'string') return element.Value.replace(/[\0 ]+$/, '') || null;
  if (element.length === 0) return null;
  const value = (dataSet.string(tag) ?? '').replace(/\0+$/, '').trim();
  return value === '' ? null : value;
}

/** A DS/IS value's numbers; NaN where a part does not parse as a whole (unlike parseFloat). */
function numbers(dataSet: dicomParser.DataSet, tag: string): number[] | null {
  const value = text(dataSet, tag);
  if (value === null) return null;
  return value.split('\\').map((part) => (part.trim() === '' ? NaN : Number(part.trim())));
}

function positive(value: number): boolean {
  return Number.isFinite(value) && value > 0;
}
