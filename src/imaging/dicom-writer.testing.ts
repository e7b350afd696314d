import { deflateRawSync } from 'node:zlib';
import { TRANSFER_SYNTAXES } from './codecs/registry';

/**
 * A small DICOM writer for tests: little-endian (explicit or implicit VR), explicit big-endian or deflated
 * files, with or without the 128-byte preamble + file meta header, with chosen tags, pixels (one frame or
 * several), encapsulated frames and transfer syntax. It writes what it is told — including broken files —
 * so tests can exercise the decoder's refusals.
 */

/** The syntaxes the decoder reads, and MPEG-2 for a syntax it refuses. */
export const TRANSFER_SYNTAX = { ...TRANSFER_SYNTAXES, mpeg2: '1.2.840.10008.1.2.4.100' } as const;

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.9.7433.1.1';

/** One data element. `tag` is 0xGGGGEEEE. */
export interface DicomElement {
  tag: number;
  vr: string;
  /**
   * Strings (multi-values joined with '\\'), numbers or number arrays (DS/IS are written as text; US/SS/UL/SL/FL/FD
   * binary), raw bytes (OB/OW/UN or any VR), or for SQ a list of items, each a list of elements.
   */
  value: string | number | readonly number[] | Uint8Array | DicomElement[][];
  /** Write SQ (and its items) with undefined length and delimiters instead of explicit lengths. */
  undefinedLength?: boolean;
}

export interface DicomWriteOptions {
  rows?: number;
  columns?: number;
  /** Stored values, row-major; written as 8- or 16-bit little-endian according to bitsAllocated. */
  pixels?: ArrayLike<number>;
  /** Raw pixel-data bytes, overriding `pixels` (to write a short or odd pixel element). */
  pixelBytes?: Uint8Array;
  /** Leave out (7FE0,0010). */
  omitPixelData?: boolean;
  /** Write the pixel data encapsulated (undefined length, offset table + one fragment), as compressed syntaxes do. */
  encapsulate?: boolean;
  /**
   * Encapsulated frames, each a list of fragments (a Uint8Array alone is one fragment); overrides pixels.
   * With `offsetTable`, the basic offset table lists each frame's first fragment.
   */
  frames?: (Uint8Array | Uint8Array[])[];
  offsetTable?: boolean;
  /** Pixel Padding Value (0028,0120) as a stored value (written US, or SS when pixelRepresentation is 1). */
  pixelPadding?: number;
  bitsAllocated?: 8 | 16 | number;
  bitsStored?: number;
  highBit?: number;
  pixelRepresentation?: 0 | 1;
  samplesPerPixel?: number;
  photometric?: string;
  numberOfFrames?: number;
  /** null leaves the rescale tags out. */
  rescale?: { slope: number; intercept: number } | null;
  pixelSpacing?: [row: number, column: number] | null;
  sliceThickness?: number | null;
  modality?: string | null;
  uids?: { study?: string; series?: string; sop?: string };
  window?: { center: number | number[]; width: number | number[] } | null;
  /** Transfer syntax written in the meta header; default explicit VR little endian. */
  transferSyntax?: string;
  /** VR encoding of the data set; default implicit for 1.2.840.10008.1.2, explicit otherwise. */
  vr?: 'explicit' | 'implicit';
  /** false: no preamble and no meta header (a bare implicit-VR data set). Default true. */
  preamble?: boolean;
  /** Extra elements, merged in tag order (an extra element replaces a generated one with the same tag). */
  elements?: DicomElement[];
  /** Cut this many bytes off the end of the file. */
  truncateBy?: number;
}

/** Writes a DICOM CT slice; see DicomWriteOptions for the knobs. Defaults: 16×16 zeros, 16-bit unsigned. */
export function writeDicom(options: DicomWriteOptions = {}): Uint8Array {
  const rows = options.rows ?? 16;
  const columns = options.columns ?? 16;
  const bitsAllocated = options.bitsAllocated ?? 16;
  const transferSyntax = options.transferSyntax ?? TRANSFER_SYNTAX.explicitLittle;
  const preamble = options.preamble ?? true;
  const explicit = options.vr ? options.vr === 'explicit' : preamble && transferSyntax !== TRANSFER_SYNTAX.implicitLittle;
  // The data set's byte order (the meta header is always little endian).
  const little = transferSyntax !== TRANSFER_SYNTAX.explicitBig;
  const uids = {
    study: options.uids?.study ?? '1.2.826.0.1.3680043.9.7433.2.1',
    series: options.uids?.series ?? '1.2.826.0.1.3680043.9.7433.2.1.1',
    sop: options.uids?.sop ?? '1.2.826.0.1.3680043.9.7433.2.1.1.1',
  };

  const us = (tag: number, value: number): DicomElement => ({ tag, vr: 'US', value });
  const generated: DicomElement[] = [
    { tag: 0x00080016, vr: 'UI', value: CT_IMAGE_STORAGE },
    { tag: 0x00080018, vr: 'UI', value: uids.sop },
    { tag: 0x0020000d, vr: 'UI', value: uids.study },
    { tag: 0x0020000e, vr: 'UI', value: uids.series },
    us(0x00280002, options.samplesPerPixel ?? 1),
    { tag: 0x00280004, vr: 'CS', value: options.photometric ?? 'MONOCHROME2' },
    us(0x00280010, rows),
    us(0x00280011, columns),
    us(0x00280100, bitsAllocated),
    us(0x00280101, options.bitsStored ?? bitsAllocated),
    us(0x00280102, options.highBit ?? (options.bitsStored ?? bitsAllocated) - 1),
    us(0x00280103, options.pixelRepresentation ?? 0),
  ];
  if (options.modality !== null) generated.push({ tag: 0x00080060, vr: 'CS', value: options.modality ?? 'CT' });
  if (options.sliceThickness != null) generated.push({ tag: 0x00180050, vr: 'DS', value: options.sliceThickness });
  if (options.numberOfFrames !== undefined) generated.push({ tag: 0x00280008, vr: 'IS', value: options.numberOfFrames });
  if (options.pixelPadding !== undefined) {
    generated.push({ tag: 0x00280120, vr: options.pixelRepresentation === 1 ? 'SS' : 'US', value: options.pixelPadding });
  }
  if (options.pixelSpacing) generated.push({ tag: 0x00280030, vr: 'DS', value: options.pixelSpacing });
  if (options.window) {
    generated.push({ tag: 0x00281050, vr: 'DS', value: options.window.center });
    generated.push({ tag: 0x00281051, vr: 'DS', value: options.window.width });
  }
  const rescale = options.rescale === undefined ? { slope: 1, intercept: -1024 } : options.rescale;
  if (rescale) {
    generated.push({ tag: 0x00281052, vr: 'DS', value: rescale.intercept });
    generated.push({ tag: 0x00281053, vr: 'DS', value: rescale.slope });
  }

  const byTag = new Map<number, DicomElement>();
  for (const element of [...generated, ...(options.elements ?? [])]) byTag.set(element.tag >>> 0, element);
  const dataSet = [...byTag.values()].sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0));

  const chunks: Uint8Array[] = [];
  if (preamble) {
    chunks.push(new Uint8Array(128), ascii('DICM'));
    const meta = concat([
      encodeElement({ tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) }, true),
      encodeElement({ tag: 0x00020002, vr: 'UI', value: CT_IMAGE_STORAGE }, true),
      encodeElement({ tag: 0x00020003, vr: 'UI', value: uids.sop }, true),
      encodeElement({ tag: 0x00020010, vr: 'UI', value: transferSyntax }, true),
      encodeElement({ tag: 0x00020012, vr: 'UI', value: IMPLEMENTATION_CLASS_UID }, true),
    ]);
    chunks.push(encodeElement({ tag: 0x00020000, vr: 'UL', value: meta.length }, true), meta);
  }
  const body: Uint8Array[] = [];
  for (const element of dataSet) {
    if (element.tag >>> 0 < 0x7fe00010) body.push(encodeElement(element, explicit, little));
  }
  if (!options.omitPixelData) {
    if (options.frames) {
      body.push(encapsulatedFrames(options.frames, explicit, options.offsetTable ?? false));
    } else {
      const raw = options.pixelBytes ?? pixelBytes(options.pixels ?? new Array<number>(rows * columns).fill(0), bitsAllocated);
      if (options.encapsulate) body.push(encapsulatedPixelData(raw, explicit));
      else body.push(encodeElement({ tag: 0x7fe00010, vr: bitsAllocated === 8 ? 'OB' : 'OW', value: raw }, explicit, little));
    }
  }
  for (const element of dataSet) {
    if (element.tag >>> 0 > 0x7fe00010) body.push(encodeElement(element, explicit, little));
  }
  const dataSetBytes = concat(body);
  chunks.push(transferSyntax === TRANSFER_SYNTAX.deflated ? new Uint8Array(deflateRawSync(dataSetBytes)) : dataSetBytes);
  const file = concat(chunks);
  return options.truncateBy ? file.slice(0, file.length - options.truncateBy) : file;
}

/** Stored values → little-endian bytes (8-bit or 16-bit; negative values are written two's-complement). */
export function pixelBytes(values: ArrayLike<number>, bitsAllocated: number): Uint8Array {
  if (bitsAllocated === 8) {
    const out = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = values[i] & 0xff;
    return out;
  }
  const out = new Uint8Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    out[2 * i] = values[i] & 0xff;
    out[2 * i + 1] = (values[i] >> 8) & 0xff;
  }
  return out;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const STRING_PAD_NUL = new Set(['UI']);

/** One element in explicit or implicit VR, little endian unless `little` is false (explicit big endian). */
export function encodeElement(element: DicomElement, explicit: boolean, little = true): Uint8Array {
  const tag = element.tag >>> 0;
  if (element.vr === 'SQ') return encodeSequence(element, explicit, little);
  let value = encodeValue(element, little);
  if (!little && element.vr === 'OW' && element.value instanceof Uint8Array) value = swap16(value);
  return concat([elementHeader(tag, element.vr, value.length, explicit, little), value]);
}

function elementHeader(tag: number, vr: string, length: number, explicit: boolean, little = true): Uint8Array {
  const tagBytes = little
    ? [(tag >>> 16) & 0xff, (tag >>> 24) & 0xff, tag & 0xff, (tag >>> 8) & 0xff]
    : [(tag >>> 24) & 0xff, (tag >>> 16) & 0xff, (tag >>> 8) & 0xff, tag & 0xff];
  const u32x = (v: number) => (little ? u32(v) : u32(v).reverse());
  if (!explicit) return new Uint8Array([...tagBytes, ...u32x(length)]);
  if (LONG_VRS.has(vr)) return new Uint8Array([...tagBytes, vr.charCodeAt(0), vr.charCodeAt(1), 0, 0, ...u32x(length)]);
  if (length > 0xffff) throw new Error(`value of ${vr} too long for a 16-bit length`);
  const len = little ? [length & 0xff, length >>> 8] : [length >>> 8, length & 0xff];
  return new Uint8Array([...tagBytes, vr.charCodeAt(0), vr.charCodeAt(1), ...len]);
}

function encodeSequence(element: DicomElement, explicit: boolean, little = true): Uint8Array {
  const items = element.value as DicomElement[][];
  const undefinedLength = element.undefinedLength ?? false;
  const marker = (tag: number, length: number) => (little ? tagOnly(tag, length) : elementHeader(tag, '', length, false, false));
  const encodedItems = items.map((item) => {
    const body = concat(item.map((child) => encodeElement(child, explicit, little)));
    if (!undefinedLength) return concat([marker(0xfffee000, body.length), body]);
    return concat([marker(0xfffee000, 0xffffffff), body, marker(0xfffee00d, 0)]);
  });
  const body = concat(encodedItems);
  if (!undefinedLength) return concat([elementHeader(element.tag >>> 0, 'SQ', body.length, explicit, little), body]);
  return concat([elementHeader(element.tag >>> 0, 'SQ', 0xffffffff, explicit, little), body, marker(0xfffee0dd, 0)]);
}

function swap16(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    out[i] = bytes[i + 1];
    out[i + 1] = bytes[i];
  }
  return out;
}

/** Encapsulated pixel data of several frames, each one or more fragments, with an empty or filled offset table. */
function encapsulatedFrames(frames: (Uint8Array | Uint8Array[])[], explicit: boolean, offsetTable: boolean): Uint8Array {
  const items: Uint8Array[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const frame of frames) {
    offsets.push(offset);
    for (const fragment of Array.isArray(frame) ? frame : [frame]) {
      const even = fragment.length % 2 ? concat([fragment, new Uint8Array(1)]) : fragment;
      items.push(tagOnly(0xfffee000, even.length), even);
      offset += 8 + even.length;
    }
  }
  const table = offsetTable ? concat(offsets.map((o) => new Uint8Array(u32(o)))) : new Uint8Array(0);
  return concat([elementHeader(0x7fe00010, 'OB', 0xffffffff, explicit), tagOnly(0xfffee000, table.length), table, ...items, tagOnly(0xfffee0dd, 0)]);
}

function encapsulatedPixelData(raw: Uint8Array, explicit: boolean): Uint8Array {
  const fragment = raw.length % 2 ? concat([raw, new Uint8Array(1)]) : raw;
  return concat([
    elementHeader(0x7fe00010, 'OB', 0xffffffff, explicit),
    tagOnly(0xfffee000, 0), // empty basic offset table
    tagOnly(0xfffee000, fragment.length),
    fragment,
    tagOnly(0xfffee0dd, 0),
  ]);
}

function tagOnly(tag: number, length: number): Uint8Array {
  return new Uint8Array([(tag >>> 16) & 0xff, (tag >>> 24) & 0xff, tag & 0xff, (tag >>> 8) & 0xff, ...u32(length)]);
}

/** Numeric VRs: bytes per value and the DataView setter that writes one; every other VR is text. */
const NUMERIC_VRS: Record<string, [number, 'setUint16' | 'setInt16' | 'setUint32' | 'setInt32' | 'setFloat32' | 'setFloat64']> = {
  US: [2, 'setUint16'],
  SS: [2, 'setInt16'],
  UL: [4, 'setUint32'],
  SL: [4, 'setInt32'],
  FL: [4, 'setFloat32'],
  FD: [8, 'setFloat64'],
};

function encodeValue(element: DicomElement, little = true): Uint8Array {
  const { vr, value } = element;
  if (value instanceof Uint8Array) return padEven(value, 0);
  const list: readonly (number | string)[] = typeof value === 'string' ? [value] : typeof value === 'number' ? [value] : (value as readonly number[]);
  const numeric = NUMERIC_VRS[vr];
  if (!numeric) return padEven(ascii(list.map(String).join('\\')), STRING_PAD_NUL.has(vr) ? 0 : 0x20);
  const [size, setter] = numeric;
  const out = new Uint8Array(list.length * size);
  const dv = new DataView(out.buffer);
  list.forEach((v, i) => dv[setter](i * size, Number(v), little));
  return out;
}

function padEven(bytes: Uint8Array, pad: number): Uint8Array {
  if (bytes.length % 2 === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = pad;
  return out;
}

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
