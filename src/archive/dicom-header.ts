import * as dicomParser from 'dicom-parser';
import { DEID_RULES } from '../deid/deid-rules';
import { DeidentifiedAttributes, deidentify, RawAttributes } from '../deid/deidentify';
import { pseudonymousUid } from '../deid/pseudonym';
import { ArchiveAnnotation, toPoints } from './annotation-geometry';
import { arrowBox, Code, ImageRef, shapeMark, SrItem } from './sr-measurements';

/** A file the walk cannot use: reported by relative path with this reason, the rest imported. */
export class ArchiveFileError extends Error {}

export interface FramePlacement {
  /** 1-based frame number. */
  frame: number;
  position: [number, number, number] | null;
  orientation: number[] | null;
}

export interface ImageObject {
  kind: 'image';
  deid: DeidentifiedAttributes;
  rows: number;
  columns: number;
  /** PixelSpacing by axis (the header lists the row spacing, y, first), mm, as the file states it. */
  spacing: { x: number; y: number } | null;
  instanceNumber: number | null;
  frames: FramePlacement[];
}

export type ArchiveObject =
  | ImageObject
  | { kind: 'sr'; deid: DeidentifiedAttributes; content: SrItem[] }
  | { kind: 'gsps'; deid: DeidentifiedAttributes; annotations: ArchiveAnnotation[]; problems: string[] }
  | { kind: 'skip'; reason: string };

export interface HeaderLimits {
  /** Frames (slices) one file may declare. */
  maxFrames: number;
}

const TAG = new Map(DEID_RULES.map((r) => [r.keyword, r.tag]));
/** Sequences walked for structure; their items' values are read only through the de-identification table. */
const SEQ = {
  ContentSequence: 'x0040a730',
  ConceptNameCodeSequence: 'x0040a043',
  ConceptCodeSequence: 'x0040a168',
  ReferencedSOPSequence: 'x00081199',
  ReferencedSeriesSequence: 'x00081115',
  ReferencedImageSequence: 'x00081140',
  GraphicAnnotationSequence: 'x00700001',
  GraphicObjectSequence: 'x00700009',
  TextObjectSequence: 'x00700008',
  SharedFunctionalGroupsSequence: 'x52009229',
  PerFrameFunctionalGroupsSequence: 'x52009230',
  PlanePositionSequence: 'x00209113',
  PlaneOrientationSequence: 'x00209116',
  PixelMeasuresSequence: 'x00289110',
} as const;

const SR_CLASS_PREFIX = '1.2.840.10008.5.1.4.1.1.88.';
const GSPS_CLASS = '1.2.840.10008.5.1.4.1.1.11.1';
const MEDIA_DIRECTORY_CLASS = '1.2.840.10008.1.3.10';
/** Longest attribute text read; longer values are cut (no attribute this import keeps is longer). */
const MAX_TEXT = 1024;
const MAX_SR_DEPTH = 32;
const MAX_SR_ITEMS = 20_000;
const MAX_GRAPHIC_VALUES = 20_000;
const MAX_COORDINATE_MM = 100_000;

type DataSet = dicomParser.DataSet;

/**
 * Reads a file's header (never its pixel data) and de-identifies it at once: what leaves this function
 * holds keyed-hash UIDs, a shifted date and the kept technical attributes, nothing else of the file.
 */
export function readArchiveObject(bytes: Uint8Array, secret: string, limits: HeaderLimits): ArchiveObject {
  if (bytes.length < 132 || String.fromCharCode(bytes[128], bytes[129], bytes[130], bytes[131]) !== 'DICM')
    throw new ArchiveFileError('not a DICOM file (no DICM marker)');
  let ds: DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
  } catch {
    throw new ArchiveFileError('truncated or corrupt DICOM header');
  }
  const sopClass = text(ds, 'SOPClassUID') ?? ds.string('x00020002') ?? '';
  if (sopClass === MEDIA_DIRECTORY_CLASS || ds.elements.x00041220) return { kind: 'skip', reason: 'a DICOMDIR (the folder is walked instead)' };
  const raw: RawAttributes = {};
  for (const rule of DEID_RULES) {
    const value = rule.keyword === 'Rows' || rule.keyword === 'Columns' ? uint16Text(ds, rule.tag) : text(ds, rule.keyword);
    if (value !== null) raw[rule.keyword] = value;
  }
  if (!raw.StudyInstanceUID || !raw.SeriesInstanceUID || !raw.SOPInstanceUID) throw new ArchiveFileError('missing Study, Series or SOP Instance UID');
  const deid = deidentify(raw, secret);
  if (sopClass.startsWith(SR_CLASS_PREFIX)) {
    const budget = { items: 0 };
    return { kind: 'sr', deid, content: srItems(ds, secret, 0, budget) };
  }
  if (sopClass === GSPS_CLASS) return { kind: 'gsps', deid, ...gspsMarks(ds, secret, deid.values.SOPInstanceUID!) };
  const rows = Number(raw.Rows);
  const columns = Number(raw.Columns);
  if (!raw.Rows || !raw.Columns) return { kind: 'skip', reason: `not an image, SR or presentation state (SOP class ${sopClass.slice(0, 64) || 'absent'})` };
  if (!(rows > 0 && columns > 0)) throw new ArchiveFileError('Rows or Columns is 0');
  const frameCount = raw.NumberOfFrames ? Number(raw.NumberOfFrames) : 1;
  if (!Number.isInteger(frameCount) || frameCount < 1)
    throw new ArchiveFileError(`Number of Frames "${raw.NumberOfFrames!.slice(0, 16)}" is not a positive integer`);
  if (frameCount > limits.maxFrames) throw new ArchiveFileError(`${frameCount} frames, over the limit of ${limits.maxFrames} (ARCHIVE_MAX_SERIES_SLICES)`);
  const shared = firstItem(ds, SEQ.SharedFunctionalGroupsSequence);
  const sharedOrientation = numbers(nested(shared, SEQ.PlaneOrientationSequence), 'ImageOrientationPatient', 6);
  const sharedSpacing = numbers(nested(shared, SEQ.PixelMeasuresSequence), 'PixelSpacing', 2);
  const perFrame = ds.elements[SEQ.PerFrameFunctionalGroupsSequence]?.items ?? [];
  const frames: FramePlacement[] = [];
  for (let f = 0; f < frameCount; f++) {
    const group = perFrame[f]?.dataSet;
    const position =
      numbers(nested(group, SEQ.PlanePositionSequence), 'ImagePositionPatient', 3) ?? (frameCount === 1 ? numbers(ds, 'ImagePositionPatient', 3) : null);
    const orientation =
      numbers(nested(group, SEQ.PlaneOrientationSequence), 'ImageOrientationPatient', 6) ?? sharedOrientation ?? numbers(ds, 'ImageOrientationPatient', 6);
    frames.push({ frame: f + 1, position: position as [number, number, number] | null, orientation });
  }
  const spacing = numbers(ds, 'PixelSpacing', 2) ?? sharedSpacing;
  const instanceNumber = raw.InstanceNumber !== undefined ? Number(raw.InstanceNumber) : NaN;
  return {
    kind: 'image',
    deid,
    rows,
    columns,
    spacing: spacing && spacing.every((v) => v > 0 && v < 100) ? { x: spacing[1], y: spacing[0] } : null,
    instanceNumber: Number.isFinite(instanceNumber) ? instanceNumber : null,
    frames,
  };
}

/** An attribute's text, by its keyword in the de-identification table (no other attribute is ever read). */
function text(ds: DataSet | undefined, keyword: string): string | null {
  const tag = TAG.get(keyword);
  if (!tag) throw new Error(`${keyword} is not in the de-identification table`);
  if (!ds?.elements[tag]) return null;
  const value = ds.string(tag);
  return value === undefined ? null : value.replace(/\0/g, '').trim().slice(0, MAX_TEXT);
}

function uint16Text(ds: DataSet, tag: string): string | null {
  const element = ds.elements[tag];
  if (!element || element.length < 2) return null;
  return String(ds.uint16(tag));
}

function numbers(ds: DataSet | undefined, keyword: string, count: number): number[] | null {
  const value = text(ds, keyword);
  if (!value) return null;
  const parts = value.split('\\').map(Number);
  // Positions and cosines beyond a few metres are not from a scanner: treated as absent.
  return parts.length === count && parts.every((v) => Number.isFinite(v) && Math.abs(v) <= MAX_COORDINATE_MM) ? parts : null;
}

function floats(ds: DataSet, keyword: string): number[] | null {
  const tag = TAG.get(keyword)!;
  const element = ds.elements[tag];
  if (!element) return null;
  const count = Math.floor(element.length / 4);
  if (count > MAX_GRAPHIC_VALUES) return null;
  return Array.from({ length: count }, (_, i) => ds.float(tag, i)!);
}

function firstItem(ds: DataSet | undefined, tag: string): DataSet | undefined {
  return ds?.elements[tag]?.items?.[0]?.dataSet;
}

function nested(ds: DataSet | undefined, tag: string): DataSet | undefined {
  return firstItem(ds, tag);
}

function codeOf(ds: DataSet | undefined): Code | null {
  if (!ds) return null;
  const value = text(ds, 'CodeValue');
  if (!value) return null;
  return { value, scheme: text(ds, 'CodingSchemeDesignator') ?? '', meaning: text(ds, 'CodeMeaning') ?? '' };
}

function imageRefs(items: dicomParser.Element['items'], secret: string): ImageRef[] {
  const refs: ImageRef[] = [];
  for (const item of items ?? []) {
    const uid = text(item.dataSet, 'ReferencedSOPInstanceUID');
    if (!uid) continue;
    const frame = Number(text(item.dataSet, 'ReferencedFrameNumber')?.split('\\')[0] ?? 1);
    refs.push({ sopUid: pseudonymousUid(secret, uid), frame: Number.isInteger(frame) && frame >= 1 ? frame : 1 });
  }
  return refs;
}

function srItems(ds: DataSet | undefined, secret: string, depth: number, budget: { items: number }): SrItem[] {
  const items = ds?.elements[SEQ.ContentSequence]?.items ?? [];
  if (depth > MAX_SR_DEPTH) throw new ArchiveFileError(`SR content nested deeper than ${MAX_SR_DEPTH}`);
  return items.map((item) => {
    if (++budget.items > MAX_SR_ITEMS) throw new ArchiveFileError(`SR with more than ${MAX_SR_ITEMS} content items`);
    const d = item.dataSet!;
    return {
      valueType: text(d, 'ValueType') ?? '',
      concept: codeOf(firstItem(d, SEQ.ConceptNameCodeSequence)),
      code: codeOf(firstItem(d, SEQ.ConceptCodeSequence)),
      graphicType: text(d, 'GraphicType'),
      graphicData: floats(d, 'GraphicData'),
      refs: imageRefs(d.elements[SEQ.ReferencedSOPSequence]?.items, secret),
      children: srItems(d, secret, depth + 1, budget),
    };
  });
}

/**
 * Presentation-state graphics in pixel units, one lesion per graphic per referenced image: POLYLINE,
 * ELLIPSE, CIRCLE regions; a 2-point line as a measured line; a text object's visible anchor (an arrow)
 * and POINTs as a small box around the tip, flagged approximate.
 */
function gspsMarks(ds: DataSet, secret: string, origin: string): { annotations: ArchiveAnnotation[]; problems: string[] } {
  const annotations: ArchiveAnnotation[] = [];
  const problems: string[] = [];
  const seriesRefs = (ds.elements[SEQ.ReferencedSeriesSequence]?.items ?? []).flatMap((s) =>
    imageRefs(s.dataSet?.elements[SEQ.ReferencedImageSequence]?.items, secret),
  );
  let ordinal = 0;
  (ds.elements[SEQ.GraphicAnnotationSequence]?.items ?? []).forEach((layer, l) => {
    const d = layer.dataSet!;
    const own = imageRefs(d.elements[SEQ.ReferencedImageSequence]?.items, secret);
    const refs = own.length ? own : seriesRefs;
    if (!refs.length) {
      problems.push(`graphic annotation ${l + 1}: references no image`);
      return;
    }
    for (const g of d.elements[SEQ.GraphicObjectSequence]?.items ?? []) {
      const gd = g.dataSet!;
      if ((text(gd, 'GraphicAnnotationUnits') ?? 'PIXEL') !== 'PIXEL') {
        problems.push(`graphic annotation ${l + 1}: display units cannot be placed on the image`);
        continue;
      }
      const points = toPoints(floats(gd, 'GraphicData') ?? []);
      const mark = points ? shapeMark(text(gd, 'GraphicType') ?? '', points, false) : 'graphic data is not a list of points';
      if (typeof mark === 'string') problems.push(`graphic annotation ${l + 1}: ${mark}`);
      else
        for (const ref of refs) annotations.push({ source: 'gsps', origin, ordinal: ordinal++, ...mark, sopUid: ref.sopUid, frame: ref.frame, coarseType: -1 });
    }
    for (const t of d.elements[SEQ.TextObjectSequence]?.items ?? []) {
      const td = t.dataSet!;
      const anchor = floats(td, 'AnchorPoint');
      if (!anchor || anchor.length !== 2 || text(td, 'AnchorPointVisibility') !== 'Y' || (text(td, 'AnchorPointAnnotationUnits') ?? 'PIXEL') !== 'PIXEL')
        continue;
      for (const ref of refs) {
        annotations.push({
          source: 'gsps',
          origin,
          ordinal: ordinal++,
          ...arrowBox([anchor[0], anchor[1]]),
          recist: null,
          longAxisPx: null,
          shortAxisPx: null,
          approximate: true,
          sopUid: ref.sopUid,
          frame: ref.frame,
          coarseType: -1,
        });
      }
    }
  });
  return { annotations, problems };
}
