/** A coded concept: DICOM (code value, scheme designator, meaning) and its FHIR system. */
export interface Code {
  value: string;
  scheme: 'SCT' | 'DCM' | 'UCUM' | 'LN' | 'RADLEX' | 'RFC5646' | 'UMLS' | '99LRS';
  meaning: string;
}

export const FHIR_SYSTEM: Record<Code['scheme'], string> = {
  SCT: 'http://snomed.info/sct',
  DCM: 'http://dicom.nema.org/resources/ontology/DCM',
  UCUM: 'http://unitsofmeasure.org',
  LN: 'http://loinc.org',
  RADLEX: 'http://www.radlex.org',
  RFC5646: 'urn:ietf:bcp:47',
  UMLS: 'http://www.nlm.nih.gov/research/umls',
  // This service's own codes (a "99"-prefixed private scheme in DICOM, PS3.16 §8.1).
  '99LRS': 'urn:lesion-retrieval-service:codes',
};

/**
 * DeepLesion's 8 coarse lesion types → the finding's site (SNOMED CT body structure, and its RadLex
 * term). The finding itself is a lesion; the coarse type says where it is.
 */
export const COARSE_TYPE_SITES: Record<number, { site: Code; radlex: Code }> = {
  1: { site: { value: '272673000', scheme: 'SCT', meaning: 'Bone structure' }, radlex: { value: 'RID13197', scheme: 'RADLEX', meaning: 'bone organ' } },
  2: { site: { value: '113345001', scheme: 'SCT', meaning: 'Abdominal structure' }, radlex: { value: 'RID56', scheme: 'RADLEX', meaning: 'abdomen' } },
  3: { site: { value: '72410000', scheme: 'SCT', meaning: 'Mediastinal structure' }, radlex: { value: 'RID1384', scheme: 'RADLEX', meaning: 'mediastinum' } },
  4: { site: { value: '10200004', scheme: 'SCT', meaning: 'Liver structure' }, radlex: { value: 'RID58', scheme: 'RADLEX', meaning: 'liver' } },
  5: { site: { value: '39607008', scheme: 'SCT', meaning: 'Lung structure' }, radlex: { value: 'RID1301', scheme: 'RADLEX', meaning: 'lung' } },
  6: { site: { value: '64033007', scheme: 'SCT', meaning: 'Kidney structure' }, radlex: { value: 'RID205', scheme: 'RADLEX', meaning: 'kidney' } },
  7: { site: { value: '87784001', scheme: 'SCT', meaning: 'Soft tissues' }, radlex: { value: 'RID29010', scheme: 'RADLEX', meaning: 'soft tissue' } },
  8: { site: { value: '12921003', scheme: 'SCT', meaning: 'Pelvis structure' }, radlex: { value: 'RID2507', scheme: 'RADLEX', meaning: 'pelvis' } },
};

export const CODES = {
  imagingMeasurementReport: { value: '126000', scheme: 'DCM', meaning: 'Imaging Measurement Report' },
  language: { value: '121049', scheme: 'DCM', meaning: 'Language of Content Item and Descendants' },
  english: { value: 'en-US', scheme: 'RFC5646', meaning: 'English (United States)' },
  observerType: { value: '121005', scheme: 'DCM', meaning: 'Observer Type' },
  device: { value: '121007', scheme: 'DCM', meaning: 'Device' },
  deviceObserverUid: { value: '121012', scheme: 'DCM', meaning: 'Device Observer UID' },
  deviceObserverName: { value: '121013', scheme: 'DCM', meaning: 'Device Observer Name' },
  deviceObserverManufacturer: { value: '121014', scheme: 'DCM', meaning: 'Device Observer Manufacturer' },
  deviceObserverModelName: { value: '121015', scheme: 'DCM', meaning: 'Device Observer Model Name' },
  procedureReported: { value: '121058', scheme: 'DCM', meaning: 'Procedure reported' },
  ct: { value: '77477000', scheme: 'SCT', meaning: 'Computed Tomography' },
  imageLibrary: { value: '111028', scheme: 'DCM', meaning: 'Image Library' },
  imageLibraryGroup: { value: '126200', scheme: 'DCM', meaning: 'Image Library Group' },
  imagingMeasurements: { value: '126010', scheme: 'DCM', meaning: 'Imaging Measurements' },
  measurementGroup: { value: '125007', scheme: 'DCM', meaning: 'Measurement Group' },
  trackingIdentifier: { value: '112039', scheme: 'DCM', meaning: 'Tracking Identifier' },
  trackingUid: { value: '112040', scheme: 'DCM', meaning: 'Tracking Unique Identifier' },
  finding: { value: '121071', scheme: 'DCM', meaning: 'Finding' },
  lesion: { value: '52988006', scheme: 'SCT', meaning: 'Lesion' },
  findingSite: { value: '363698007', scheme: 'SCT', meaning: 'Finding Site' },
  imageRegion: { value: '111030', scheme: 'DCM', meaning: 'Image Region' },
  longAxis: { value: '103339001', scheme: 'SCT', meaning: 'Long Axis' },
  shortAxis: { value: '103340004', scheme: 'SCT', meaning: 'Short Axis' },
  millimeter: { value: 'mm', scheme: 'UCUM', meaning: 'millimeter' },
  noUnits: { value: '1', scheme: 'UCUM', meaning: 'no units' },
  percent: { value: '%', scheme: 'UCUM', meaning: 'percent' },
  qualitativeEvaluations: { value: 'C0034375', scheme: 'UMLS', meaning: 'Qualitative Evaluations' },
  studyInstanceUid: { value: '110180', scheme: 'DCM', meaning: 'Study Instance UID' },
  diagnosticImagingReport: { value: '18748-4', scheme: 'LN', meaning: 'Diagnostic imaging study' },
  // This service's own concepts: there is no standard code for them.
  trackChange: { value: 'TRACKCHG', scheme: '99LRS', meaning: 'Long axis change from baseline' },
  recistResponse: { value: 'RECIST', scheme: '99LRS', meaning: 'RECIST 1.1 response of the tracked lesion' },
  priorMeasurement: { value: 'PRIORLA', scheme: '99LRS', meaning: 'Prior long axis' },
  similarCases: { value: 'SIMCASES', scheme: '99LRS', meaning: 'Similar archived cases' },
  similarCase: { value: 'SIMCASE', scheme: '99LRS', meaning: 'Similar archived lesion' },
  similarity: { value: 'SIMILAR', scheme: '99LRS', meaning: 'Embedding cosine similarity' },
} satisfies Record<string, Code>;

export function siteOf(coarseType: number): { site: Code; radlex: Code } | null {
  return COARSE_TYPE_SITES[coarseType] ?? null;
}
