// Test and benchmark helper: writes DICOM images, SR measurement reports and presentation states with
// dcmjs, carrying whatever identifying attributes a test wants to see removed. Not used by the service.
// dcmjs ships no types: required untyped.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcmjs = require('dcmjs');

const { DicomMetaDictionary, DicomDict } = dcmjs.data;

export const CT_IMAGE_CLASS = '1.2.840.10008.5.1.4.1.1.2';
export const MR_IMAGE_CLASS = '1.2.840.10008.5.1.4.1.1.4';
export const COMPREHENSIVE_SR_CLASS = '1.2.840.10008.5.1.4.1.1.88.33';
export const GSPS_CLASS = '1.2.840.10008.5.1.4.1.1.11.1';

/** Who and which study: every identifying attribute the de-identification test looks for. */
export interface PatientStudy {
  patientId: string;
  issuer?: string;
  patientName?: string;
  birthDate?: string;
  sex?: 'M' | 'F';
  studyUid: string;
  studyDate: string;
  /** Extra (naturalised) attributes, e.g. AccessionNumber, InstitutionName, PatientAddress. */
  extra?: Record<string, unknown>;
  /** A private LO attribute (0009,1010) with this text. */
  privateText?: string;
}

export interface ImageSpec extends PatientStudy {
  seriesUid: string;
  sopUid: string;
  modality?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  /** z of Image Position (Patient), mm (axial slices). */
  z?: number;
  /** Square pixels of this side, or PixelSpacing as the header lists it (row, then column); default 0.8 mm. */
  pixelSpacing?: number | [row: number, column: number];
  width: number;
  height: number;
  /** HU values, row-major. */
  hu: ArrayLike<number>;
}

/** The patient, study and series attributes every written instance starts with. */
function seriesInstance(p: PatientStudy & { seriesUid: string }, modality: string, seriesNumber: number, instanceNumber = 1): Record<string, unknown> {
  return {
    PatientID: p.patientId,
    ...(p.issuer ? { IssuerOfPatientID: p.issuer } : {}),
    PatientName: p.patientName ?? '',
    PatientBirthDate: p.birthDate ?? '',
    PatientSex: p.sex ?? '',
    StudyInstanceUID: p.studyUid,
    StudyDate: p.studyDate,
    StudyTime: '101500',
    ...p.extra,
    SeriesInstanceUID: p.seriesUid,
    Modality: modality,
    SeriesNumber: seriesNumber,
    InstanceNumber: instanceNumber,
  };
}

function write(dataset: Record<string, unknown>, sopClass: string, sopUid: string, privateText?: string): Uint8Array {
  const meta = {
    MediaStorageSOPClassUID: sopClass,
    MediaStorageSOPInstanceUID: sopUid,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '1.2.826.0.1.3680043.10.1',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset({ SOPClassUID: sopClass, SOPInstanceUID: sopUid, ...dataset });
  if (privateText) {
    dict.dict['00090010'] = { vr: 'LO', Value: ['HOSPITAL PRIVATE'] };
    dict.dict['00091010'] = { vr: 'LO', Value: [privateText] };
  }
  return new Uint8Array(dict.write());
}

/** An uncompressed CT (or other modality) slice, stored as signed 16-bit with intercept 0. */
export function writeImage(spec: ImageSpec): Uint8Array {
  const pixels = new Int16Array(spec.width * spec.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.max(-32768, Math.min(32767, Math.round(spec.hu[i])));
  const modality = spec.modality ?? 'CT';
  return write(
    {
      ...seriesInstance(spec, modality, spec.seriesNumber ?? 1, spec.instanceNumber ?? 1),
      BodyPartExamined: 'CHEST',
      ConvolutionKernel: 'B30f',
      ImagePositionPatient: [-100, -100, spec.z ?? 0],
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
      PixelSpacing: Array.isArray(spec.pixelSpacing) ? spec.pixelSpacing : [spec.pixelSpacing ?? 0.8, spec.pixelSpacing ?? 0.8],
      SliceThickness: 5,
      Rows: spec.height,
      Columns: spec.width,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 1,
      RescaleSlope: 1,
      RescaleIntercept: 0,
      PixelData: pixels.buffer,
      _vrMap: { PixelData: 'OW' },
    },
    modality === 'MR' ? MR_IMAGE_CLASS : CT_IMAGE_CLASS,
    spec.sopUid,
    spec.privateText,
  );
}

const code = (value: string, scheme: string, meaning: string) => [{ CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: meaning }];

export interface SrMeasurement {
  sopUid: string;
  /** Long axis end points x1,y1,x2,y2 (pixels) and, optionally, the short axis. */
  long?: number[];
  short?: number[];
  /** Or a region: POLYLINE points or ELLIPSE's 4 points. */
  region?: { type: 'POLYLINE' | 'ELLIPSE'; points: number[] };
  /** Finding site (SNOMED CT code and meaning). */
  site?: [string, string];
}

function imageItem(sopUid: string, imageClass = CT_IMAGE_CLASS) {
  return {
    RelationshipType: 'SELECTED FROM',
    ValueType: 'IMAGE',
    ReferencedSOPSequence: [{ ReferencedSOPClassUID: imageClass, ReferencedSOPInstanceUID: sopUid }],
  };
}

function scoordItem(concept: ReturnType<typeof code> | null, type: string, points: number[], sopUid: string) {
  return {
    RelationshipType: concept ? 'CONTAINS' : 'INFERRED FROM',
    ValueType: 'SCOORD',
    ...(concept ? { ConceptNameCodeSequence: concept } : {}),
    GraphicType: type,
    GraphicData: points,
    ContentSequence: [imageItem(sopUid)],
  };
}

function numItem(concept: ReturnType<typeof code>, mm: number, points: number[], sopUid: string) {
  return {
    RelationshipType: 'CONTAINS',
    ValueType: 'NUM',
    ConceptNameCodeSequence: concept,
    MeasuredValueSequence: [{ NumericValue: mm.toFixed(1), MeasurementUnitsCodeSequence: code('mm', 'UCUM', 'millimeter') }],
    ContentSequence: [scoordItem(null, 'POLYLINE', points, sopUid)],
  };
}

/** A TID 1500 Imaging Measurement Report: one Measurement Group per measurement, with free text a radiologist might leave. */
export function writeSr(
  p: PatientStudy & { seriesUid: string; sopUid: string; measurements: SrMeasurement[]; observerName?: string; freeText?: string },
): Uint8Array {
  const groups = p.measurements.map((m, i) => {
    const items: unknown[] = [
      {
        RelationshipType: 'HAS OBS CONTEXT',
        ValueType: 'TEXT',
        ConceptNameCodeSequence: code('112039', 'DCM', 'Tracking Identifier'),
        TextValue: `lesion ${i + 1}`,
      },
      {
        RelationshipType: 'CONTAINS',
        ValueType: 'CODE',
        ConceptNameCodeSequence: code('121071', 'DCM', 'Finding'),
        ConceptCodeSequence: code('52988006', 'SCT', 'Lesion'),
      },
    ];
    if (m.site)
      items.push({
        RelationshipType: 'HAS CONCEPT MOD',
        ValueType: 'CODE',
        ConceptNameCodeSequence: code('363698007', 'SCT', 'Finding Site'),
        ConceptCodeSequence: code(m.site[0], 'SCT', m.site[1]),
      });
    if (m.long) items.push(numItem(code('103339001', 'SCT', 'Long Axis'), 10, m.long, m.sopUid));
    if (m.short) items.push(numItem(code('103340004', 'SCT', 'Short Axis'), 6, m.short, m.sopUid));
    if (m.region) items.push(scoordItem(code('111030', 'DCM', 'Image Region'), m.region.type, m.region.points, m.sopUid));
    return {
      RelationshipType: 'CONTAINS',
      ValueType: 'CONTAINER',
      ContinuityOfContent: 'SEPARATE',
      ConceptNameCodeSequence: code('125007', 'DCM', 'Measurement Group'),
      ContentSequence: items,
    };
  });
  return write(
    {
      ...seriesInstance(p, 'SR', 900),
      ValueType: 'CONTAINER',
      ContinuityOfContent: 'SEPARATE',
      ConceptNameCodeSequence: code('126000', 'DCM', 'Imaging Measurement Report'),
      CompletionFlag: 'COMPLETE',
      VerificationFlag: 'VERIFIED',
      VerifyingObserverSequence: [
        { VerifyingObserverName: p.observerName ?? 'Reader^Rita', VerificationDateTime: '20200101120000', VerifyingOrganization: 'General Hospital' },
      ],
      ContentSequence: [
        {
          RelationshipType: 'HAS OBS CONTEXT',
          ValueType: 'PNAME',
          ConceptNameCodeSequence: code('121008', 'DCM', 'Person Observer Name'),
          PersonName: p.observerName ?? 'Reader^Rita',
        },
        ...(p.freeText
          ? [{ RelationshipType: 'CONTAINS', ValueType: 'TEXT', ConceptNameCodeSequence: code('121106', 'DCM', 'Comment'), TextValue: p.freeText }]
          : []),
        {
          RelationshipType: 'CONTAINS',
          ValueType: 'CONTAINER',
          ContinuityOfContent: 'SEPARATE',
          ConceptNameCodeSequence: code('126010', 'DCM', 'Imaging Measurements'),
          ContentSequence: groups,
        },
      ],
    },
    COMPREHENSIVE_SR_CLASS,
    p.sopUid,
    p.privateText,
  );
}

export interface GspsGraphic {
  type: 'POLYLINE' | 'ELLIPSE' | 'CIRCLE' | 'POINT';
  points: number[];
}

/** A Grayscale Softcopy Presentation State with graphics (pixel units) and arrows (visible text anchors) on one image. */
export function writeGsps(
  p: PatientStudy & { seriesUid: string; sopUid: string; image: { seriesUid: string; sopUid: string }; graphics: GspsGraphic[]; arrows?: [number, number][] },
): Uint8Array {
  return write(
    {
      ...seriesInstance(p, 'PR', 901),
      ContentLabel: 'MARKS',
      ContentCreatorName: 'Reader^Rita',
      ReferencedSeriesSequence: [
        {
          SeriesInstanceUID: p.image.seriesUid,
          ReferencedImageSequence: [{ ReferencedSOPClassUID: CT_IMAGE_CLASS, ReferencedSOPInstanceUID: p.image.sopUid }],
        },
      ],
      GraphicAnnotationSequence: [
        {
          GraphicLayer: 'MARKS',
          ReferencedImageSequence: [{ ReferencedSOPClassUID: CT_IMAGE_CLASS, ReferencedSOPInstanceUID: p.image.sopUid }],
          GraphicObjectSequence: p.graphics.map((g) => ({
            GraphicAnnotationUnits: 'PIXEL',
            GraphicDimensions: 2,
            NumberOfGraphicPoints: g.points.length / 2,
            GraphicData: g.points,
            GraphicType: g.type,
            GraphicFilled: 'N',
          })),
          TextObjectSequence: (p.arrows ?? []).map(([x, y]) => ({
            AnchorPointAnnotationUnits: 'PIXEL',
            UnformattedTextValue: 'see here',
            AnchorPoint: [x, y],
            AnchorPointVisibility: 'Y',
          })),
        },
      ],
    },
    GSPS_CLASS,
    p.sopUid,
    p.privateText,
  );
}
