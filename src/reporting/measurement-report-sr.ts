import { CODES, Code, siteOf } from './finding-codes';
import { LesionReport } from './lesion-report';
import { IMPLEMENTATION_CLASS_UID, randomUid } from './dicom-uids';

// dcmjs ships no type declarations; the part used here is small.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcmjs = require('dcmjs') as {
  data: {
    DicomMetaDictionary: { denaturalizeDataset(dataset: object): object; naturalizeDataset(dict: object): Record<string, unknown> };
    DicomDict: new (meta: object) => { dict: object; write(): ArrayBuffer };
    DicomMessage: { readFile(buffer: ArrayBuffer): { dict: object; meta: object } };
  };
};

export const COMPREHENSIVE_SR_STORAGE = '1.2.840.10008.5.1.4.1.1.88.33';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

type Item = Record<string, unknown>;
type Relationship = 'CONTAINS' | 'HAS OBS CONTEXT' | 'HAS CONCEPT MOD' | 'HAS PROPERTIES' | 'INFERRED FROM' | 'SELECTED FROM';

export interface BuiltSr {
  bytes: Uint8Array;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
}

/**
 * A DICOM Comprehensive SR holding a TID 1500 Measurement Report for one lesion (the shape IHE AI
 * Results expects): device observer context, procedure reported, an image library with the referenced
 * image, and one TID 1410 planar ROI measurement group — tracking identifier and UID, coded finding and
 * finding site, the box as a closed SCOORD POLYLINE and the RECIST axes as two-point POLYLINEs on the
 * image, long and short axis in mm, tags as qualitative evaluations, the growth assessment and the
 * similar archived cases with their similarity. The SR joins the referenced image's study when its UID
 * is known; its own UIDs are new 2.25 UIDs.
 */
export function buildMeasurementReportSr(report: LesionReport): BuiltSr {
  const studyInstanceUid = report.image.studyInstanceUid ?? randomUid();
  const seriesInstanceUid = randomUid();
  const sopInstanceUid = randomUid();
  const imageRef = imageReference(report);
  const when = report.createdAt;
  const dataset: Item = {
    SOPClassUID: COMPREHENSIVE_SR_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    StudyDate: '',
    StudyTime: '',
    AccessionNumber: '',
    ReferringPhysicianName: '',
    StudyID: '',
    StudyInstanceUID: studyInstanceUid,
    Modality: 'SR',
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: 9001,
    SeriesDescription: 'Lesion measurement report',
    ReferencedPerformedProcedureStepSequence: [],
    Manufacturer: report.observer.manufacturer,
    ManufacturerModelName: report.observer.modelName.slice(0, 64),
    PatientName: '',
    PatientID: report.patient.id?.slice(0, 64) ?? '',
    PatientBirthDate: '',
    PatientSex: report.patient.sex ?? '',
    InstanceNumber: 1,
    ContentDate: dicomDate(when),
    ContentTime: dicomTime(when),
    InstanceCreationDate: dicomDate(when),
    InstanceCreationTime: dicomTime(when),
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [codeItem(CODES.ct)],
    ...(imageRef
      ? {
          CurrentRequestedProcedureEvidenceSequence: [
            {
              StudyInstanceUID: report.image.studyInstanceUid,
              ReferencedSeriesSequence: [
                {
                  SeriesInstanceUID: report.image.seriesInstanceUid,
                  ReferencedSOPSequence: [{ ReferencedSOPClassUID: report.image.sopClassUid, ReferencedSOPInstanceUID: report.image.sopInstanceUid }],
                },
              ],
            },
          ],
        }
      : {}),
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [codeItem(CODES.imagingMeasurementReport)],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1500' }],
    // The local scheme of this service's own concepts (PS3.3 C.12.1.1.4).
    CodingSchemeIdentificationSequence: [
      {
        CodingSchemeDesignator: '99LRS',
        CodingSchemeName: 'Lesion retrieval service local concepts',
        CodingSchemeResponsibleOrganization: 'lesion-retrieval-service',
      },
    ],
    ContentSequence: [
      code('HAS CONCEPT MOD', CODES.language, CODES.english),
      code('HAS OBS CONTEXT', CODES.observerType, CODES.device),
      uidref('HAS OBS CONTEXT', CODES.deviceObserverUid, report.observer.uid),
      text('HAS OBS CONTEXT', CODES.deviceObserverName, report.observer.name),
      text('HAS OBS CONTEXT', CODES.deviceObserverManufacturer, report.observer.manufacturer),
      text('HAS OBS CONTEXT', CODES.deviceObserverModelName, report.observer.modelName),
      code('HAS CONCEPT MOD', CODES.procedureReported, CODES.ct),
      container(
        'CONTAINS',
        CODES.imageLibrary,
        imageRef ? [container('CONTAINS', CODES.imageLibraryGroup, [{ ...imageRef, RelationshipType: 'CONTAINS' }])] : [],
      ),
      container('CONTAINS', CODES.imagingMeasurements, [measurementGroup(report, imageRef)]),
    ],
  };
  // Plain ASCII needs no character set (and dcmtk's checker warns on UTF-8); tags with other letters get UTF-8.
  if (/[^\x00-\x7f]/.test(JSON.stringify(dataset))) dataset.SpecificCharacterSet = 'ISO_IR 192';
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: COMPREHENSIVE_SR_STORAGE,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'LRS_SR_1',
  };
  const { DicomMetaDictionary, DicomDict } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return { bytes: new Uint8Array(dict.write()), sopInstanceUid, seriesInstanceUid, studyInstanceUid };
}

/** Reads a DICOM file back into dcmjs's naturalized form (how the specs and e2e tests check the SR). */
export function readDicomNaturalized(bytes: Uint8Array): Record<string, unknown> {
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(copy).dict);
}

function measurementGroup(report: LesionReport, imageRef: Item | null): Item {
  const site = report.coarseType !== null ? siteOf(report.coarseType) : null;
  const selectedFrom = imageRef ? [{ ...imageRef, RelationshipType: 'SELECTED FROM' }] : [];
  const children: Item[] = [
    text('HAS OBS CONTEXT', CODES.trackingIdentifier, report.trackingIdentifier),
    uidref('HAS OBS CONTEXT', CODES.trackingUid, report.trackingUid),
    code('CONTAINS', CODES.finding, CODES.lesion),
  ];
  if (site) children.push(code('HAS CONCEPT MOD', CODES.findingSite, site.site));
  // Coordinates mean something only on their image: without its UIDs the region is left out.
  const { x1, y1, x2, y2 } = report.box;
  if (imageRef) children.push(scoord('CONTAINS', CODES.imageRegion, [x1, y1, x2, y1, x2, y2, x1, y2, x1, y1], selectedFrom));
  const axis = (concept: Code, mm: number | null, points: number[] | null): void => {
    if (mm === null || !Number.isFinite(mm)) return;
    const inferred = imageRef && points ? [scoord('INFERRED FROM', concept, points, selectedFrom)] : [];
    children.push(num('CONTAINS', concept, mm, CODES.millimeter, inferred));
  };
  const recist = report.recist && report.recist.length === 8 && report.recist.every(Number.isFinite) ? report.recist : null;
  axis(CODES.longAxis, report.longAxisMm, recist ? recist.slice(0, 4) : null);
  axis(CODES.shortAxis, report.shortAxisMm, recist ? recist.slice(4, 8) : null);
  for (const tag of report.tags)
    children.push(text('CONTAINS', CODES.qualitativeEvaluations, tag.confidence === null ? tag.term : `${tag.term} (confidence ${round(tag.confidence, 2)})`));
  if (report.growth) {
    for (const prior of report.growth.priors) {
      if (prior.longAxisMm !== null)
        children.push(
          num('CONTAINS', CODES.priorMeasurement, prior.longAxisMm, CODES.millimeter, [
            text('HAS PROPERTIES', CODES.trackingIdentifier, `lesion ${prior.lesionId} (study ${prior.studyIndex})`),
          ]),
        );
    }
    if (report.growth.percentFromBaseline !== null) children.push(num('CONTAINS', CODES.trackChange, report.growth.percentFromBaseline, CODES.percent));
    if (report.growth.recist) children.push(text('CONTAINS', CODES.recistResponse, report.growth.recist));
  }
  if (report.similar.length) {
    children.push(
      container(
        'CONTAINS',
        CODES.similarCases,
        report.similar.map((hit) =>
          text('CONTAINS', CODES.similarCase, `lesion ${hit.lesionId} (${hit.coarseType})`, [
            num('HAS PROPERTIES', CODES.similarity, hit.similarity, CODES.noUnits),
            ...(hit.studyInstanceUid ? [uidref('HAS PROPERTIES', CODES.studyInstanceUid, hit.studyInstanceUid)] : []),
          ]),
        ),
      ),
    );
  }
  return { ...container('CONTAINS', CODES.measurementGroup, children), ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1410' }] };
}

function imageReference(report: LesionReport): Item | null {
  const { studyInstanceUid, seriesInstanceUid, sopInstanceUid, sopClassUid, frame } = report.image;
  if (!studyInstanceUid || !seriesInstanceUid || !sopInstanceUid) return null;
  return {
    ValueType: 'IMAGE',
    ReferencedSOPSequence: [
      { ReferencedSOPClassUID: sopClassUid, ReferencedSOPInstanceUID: sopInstanceUid, ...(frame !== null ? { ReferencedFrameNumber: frame } : {}) },
    ],
  };
}

const codeItem = (c: Code): Item => ({ CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning });

function container(relationship: Relationship, concept: Code, children: Item[]): Item {
  return {
    RelationshipType: relationship,
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [codeItem(concept)],
    ContinuityOfContent: 'SEPARATE',
    ...(children.length ? { ContentSequence: children } : {}),
  };
}

function code(relationship: Relationship, concept: Code, value: Code): Item {
  return { RelationshipType: relationship, ValueType: 'CODE', ConceptNameCodeSequence: [codeItem(concept)], ConceptCodeSequence: [codeItem(value)] };
}

function text(relationship: Relationship, concept: Code, value: string, children: Item[] = []): Item {
  return {
    RelationshipType: relationship,
    ValueType: 'TEXT',
    ConceptNameCodeSequence: [codeItem(concept)],
    TextValue: value.slice(0, 1024),
    ...(children.length ? { ContentSequence: children } : {}),
  };
}

function uidref(relationship: Relationship, concept: Code, uid: string): Item {
  return { RelationshipType: relationship, ValueType: 'UIDREF', ConceptNameCodeSequence: [codeItem(concept)], UID: uid };
}

function num(relationship: Relationship, concept: Code, value: number, unit: Code, children: Item[] = []): Item {
  return {
    RelationshipType: relationship,
    ValueType: 'NUM',
    ConceptNameCodeSequence: [codeItem(concept)],
    // DS holds at most 16 characters.
    MeasuredValueSequence: [{ NumericValue: decimalString(value), MeasurementUnitsCodeSequence: [codeItem(unit)] }],
    ...(children.length ? { ContentSequence: children } : {}),
  };
}

function scoord(relationship: Relationship, concept: Code, points: number[], children: Item[]): Item {
  return {
    RelationshipType: relationship,
    ValueType: 'SCOORD',
    ConceptNameCodeSequence: [codeItem(concept)],
    GraphicType: 'POLYLINE',
    GraphicData: points.map((p) => round(p, 3)),
    ...(children.length ? { ContentSequence: children } : {}),
  };
}

function decimalString(value: number): string {
  for (let digits = 6; digits >= 0; digits--) {
    const s = String(round(value, digits));
    if (s.length <= 16) return s;
  }
  return value.toExponential(6);
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function dicomDate(d: Date): string {
  return d.toISOString().slice(0, 10).replace(/-/g, '');
}

function dicomTime(d: Date): string {
  return d.toISOString().slice(11, 19).replace(/:/g, '');
}
