import { createHash } from 'node:crypto';
import { CODES, Code, FHIR_SYSTEM, siteOf } from './finding-codes';
import { LesionReport } from './lesion-report';

export type FhirResource = Record<string, unknown> & { resourceType: string };
type Resource = FhirResource;
export interface FhirBundle extends FhirResource {
  resourceType: 'Bundle';
  entry: { fullUrl: string; resource: FhirResource }[];
}

const coding = (c: Code) => ({ system: FHIR_SYSTEM[c.scheme], code: c.value, display: c.meaning });
const concept = (...codes: Code[]) => ({ coding: codes.map(coding), text: codes[0].meaning });
const mm = (value: number) => ({ value: round(value, 2), unit: 'mm', system: FHIR_SYSTEM.UCUM, code: 'mm' });

/**
 * The same report as FHIR R4: a collection Bundle of a DiagnosticReport (LOINC 18748-4) whose results
 * are Observations (long and short axis as UCUM mm quantities, the coded finding with its body site,
 * tags, growth, similar cases), the pseudonymous Patient, and the ImagingStudy the measurement was made
 * on (its DICOM UIDs as urn:oid identifiers when known).
 */
export function buildFhirReport(report: LesionReport): FhirBundle {
  const id = (what: string) => `urn:uuid:${uuidFrom(`${report.trackingUid}:${what}:${report.createdAt.toISOString()}`)}`;
  const patientRef = { reference: id('patient') };
  const studyRef = { reference: id('study') };
  const issued = report.createdAt.toISOString();
  const site = report.coarseType !== null ? siteOf(report.coarseType) : null;
  const bodySite = site ? { bodySite: concept(site.site, site.radlex) } : {};
  const observation = (
    what: string,
    code: ReturnType<typeof concept>,
    value: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): { fullUrl: string; resource: Resource } => ({
    fullUrl: id(what),
    resource: {
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging', display: 'Imaging' }] }],
      code,
      subject: patientRef,
      effectiveDateTime: issued,
      derivedFrom: [studyRef],
      device: { display: `${report.observer.name} (${report.observer.modelName})` },
      ...bodySite,
      ...value,
      ...extra,
    },
  });
  const observations = [
    observation(
      'finding',
      concept(CODES.finding),
      { valueCodeableConcept: concept(CODES.lesion) },
      { note: [{ text: `${report.trackingIdentifier}; tracking UID ${report.trackingUid}` }] },
    ),
    ...(report.longAxisMm !== null ? [observation('long-axis', concept(CODES.longAxis), { valueQuantity: mm(report.longAxisMm) })] : []),
    ...(report.shortAxisMm !== null ? [observation('short-axis', concept(CODES.shortAxis), { valueQuantity: mm(report.shortAxisMm) })] : []),
    ...report.tags.map((tag, i) =>
      observation(`tag-${i}`, concept(CODES.qualitativeEvaluations), {
        valueString: tag.confidence === null ? tag.term : `${tag.term} (confidence ${round(tag.confidence, 2)})`,
      }),
    ),
    ...(report.growth?.percentFromBaseline != null
      ? [
          observation('growth', concept(CODES.trackChange), {
            valueQuantity: { value: round(report.growth.percentFromBaseline, 1), unit: '%', system: FHIR_SYSTEM.UCUM, code: '%' },
          }),
        ]
      : []),
    ...(report.growth?.recist ? [observation('recist', concept(CODES.recistResponse), { valueString: report.growth.recist })] : []),
    ...report.similar.map((hit) =>
      observation(
        `similar-${hit.lesionId}`,
        concept(CODES.similarCase),
        { valueString: `lesion ${hit.lesionId} (${hit.coarseType})` },
        {
          component: [{ code: concept(CODES.similarity), valueQuantity: { value: round(hit.similarity, 4), unit: '1', system: FHIR_SYSTEM.UCUM, code: '1' } }],
          ...(hit.studyInstanceUid ? { note: [{ text: `study urn:oid:${hit.studyInstanceUid}` }] } : {}),
        },
      ),
    ),
  ];
  const { studyInstanceUid, seriesInstanceUid, sopInstanceUid, sopClassUid, modality } = report.image;
  const imagingStudy: Resource = {
    resourceType: 'ImagingStudy',
    status: 'available',
    subject: patientRef,
    ...(studyInstanceUid ? { identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${studyInstanceUid}` }] } : {}),
    modality: [{ system: FHIR_SYSTEM.DCM, code: modality }],
    ...(seriesInstanceUid
      ? {
          series: [
            {
              uid: seriesInstanceUid,
              modality: { system: FHIR_SYSTEM.DCM, code: modality },
              ...(sopInstanceUid ? { instance: [{ uid: sopInstanceUid, sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:${sopClassUid}` } }] } : {}),
            },
          ],
        }
      : {}),
  };
  const patient: Resource = {
    resourceType: 'Patient',
    ...(report.patient.id ? { identifier: [{ system: 'urn:lesion-retrieval-service:pseudonymous-patient', value: report.patient.id }] } : {}),
    ...(report.patient.sex ? { gender: report.patient.sex === 'M' ? 'male' : 'female' } : {}),
  };
  const diagnosticReport: Resource = {
    resourceType: 'DiagnosticReport',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'RAD', display: 'Radiology' }] }],
    code: concept(CODES.diagnosticImagingReport),
    subject: patientRef,
    effectiveDateTime: issued,
    issued,
    imagingStudy: [studyRef],
    result: observations.map((o) => ({ reference: o.fullUrl })),
    conclusion: conclusion(report),
  };
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: issued,
    entry: [
      { fullUrl: id('report'), resource: diagnosticReport },
      ...observations,
      { fullUrl: studyRef.reference, resource: imagingStudy },
      { fullUrl: patientRef.reference, resource: patient },
    ],
  };
}

function conclusion(report: LesionReport): string {
  const site = report.coarseType !== null ? siteOf(report.coarseType)?.radlex.meaning : null;
  const size =
    report.longAxisMm !== null ? `${round(report.longAxisMm, 1)} × ${report.shortAxisMm !== null ? round(report.shortAxisMm, 1) : '?'} mm` : 'unmeasured';
  const growth = report.growth?.recist ? `; RECIST ${report.growth.recist}` : '';
  return `Lesion${site ? ` (${site})` : ''}, ${size}${growth}; ${report.similar.length} similar archived case(s).`;
}

function uuidFrom(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  // A name-based UUID (version 5 layout, SHA-256 bytes): the same report gives the same ids.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
