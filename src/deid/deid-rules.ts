/**
 * The one de-identification table (DICOM PS3.15 Annex E, Basic Application Level Confidentiality Profile,
 * Table E.1-1, with the Retain Patient Characteristics option for sex and age). Every attribute the
 * archive import reads from a file is listed here with what happens to it; the header reader reads only
 * these tags, so anything absent from the table (other attributes, every private tag) is never read and
 * never stored.
 *
 * - remove: read at most to be discarded (never leaves deidentify()).
 * - patient-key: input to the keyed hash that gives the patient's pseudonymous index, then discarded.
 * - age-source: input to the age at the study (with the study date), then discarded.
 * - uid: replaced by `2.25.` + the decimal of 128 bits of HMAC(secret, uid): stable, not reversible.
 * - shift-date: moved by the patient's keyed offset (whole days), so intervals stay exact.
 * - keep: technical or retained-characteristic values (geometry, modality, sex, age).
 */
export type DeidAction = 'remove' | 'patient-key' | 'age-source' | 'uid' | 'shift-date' | 'keep';

export interface DeidRule {
  /** dicom-parser's tag form: 'x' + group + element, lower-case hex. */
  tag: string;
  keyword: string;
  action: DeidAction;
}

export const DEID_RULES: readonly DeidRule[] = [
  // Identity of the patient (E.1-1: D/Z/X).
  { tag: 'x00100010', keyword: 'PatientName', action: 'remove' },
  { tag: 'x00100020', keyword: 'PatientID', action: 'patient-key' },
  { tag: 'x00100021', keyword: 'IssuerOfPatientID', action: 'patient-key' },
  { tag: 'x00101000', keyword: 'OtherPatientIDs', action: 'remove' },
  { tag: 'x00101001', keyword: 'OtherPatientNames', action: 'remove' },
  { tag: 'x00101005', keyword: 'PatientBirthName', action: 'remove' },
  { tag: 'x00101060', keyword: 'PatientMotherBirthName', action: 'remove' },
  { tag: 'x00100030', keyword: 'PatientBirthDate', action: 'age-source' },
  { tag: 'x00100032', keyword: 'PatientBirthTime', action: 'remove' },
  { tag: 'x00101040', keyword: 'PatientAddress', action: 'remove' },
  { tag: 'x00102154', keyword: 'PatientTelephoneNumbers', action: 'remove' },
  { tag: 'x00102160', keyword: 'EthnicGroup', action: 'remove' },
  { tag: 'x00104000', keyword: 'PatientComments', action: 'remove' },
  { tag: 'x00102180', keyword: 'Occupation', action: 'remove' },
  { tag: 'x001021b0', keyword: 'AdditionalPatientHistory', action: 'remove' },
  { tag: 'x00380010', keyword: 'AdmissionID', action: 'remove' },
  { tag: 'x00380300', keyword: 'CurrentPatientLocation', action: 'remove' },
  // Retained patient characteristics (option): needed for filters and growth.
  { tag: 'x00100040', keyword: 'PatientSex', action: 'keep' },
  { tag: 'x00101010', keyword: 'PatientAge', action: 'age-source' },
  // The visit and the people around it.
  { tag: 'x00080050', keyword: 'AccessionNumber', action: 'remove' },
  { tag: 'x00200010', keyword: 'StudyID', action: 'remove' },
  { tag: 'x00081030', keyword: 'StudyDescription', action: 'remove' },
  { tag: 'x0008103e', keyword: 'SeriesDescription', action: 'remove' },
  { tag: 'x00321060', keyword: 'RequestedProcedureDescription', action: 'remove' },
  { tag: 'x00080080', keyword: 'InstitutionName', action: 'remove' },
  { tag: 'x00080081', keyword: 'InstitutionAddress', action: 'remove' },
  { tag: 'x00081040', keyword: 'InstitutionalDepartmentName', action: 'remove' },
  { tag: 'x00080090', keyword: 'ReferringPhysicianName', action: 'remove' },
  { tag: 'x00080092', keyword: 'ReferringPhysicianAddress', action: 'remove' },
  { tag: 'x00081048', keyword: 'PhysiciansOfRecord', action: 'remove' },
  { tag: 'x00081050', keyword: 'PerformingPhysicianName', action: 'remove' },
  { tag: 'x00081060', keyword: 'NameOfPhysiciansReadingStudy', action: 'remove' },
  { tag: 'x00081070', keyword: 'OperatorsName', action: 'remove' },
  { tag: 'x00081010', keyword: 'StationName', action: 'remove' },
  { tag: 'x00181000', keyword: 'DeviceSerialNumber', action: 'remove' },
  { tag: 'x00204000', keyword: 'ImageComments', action: 'remove' },
  { tag: 'x0040a160', keyword: 'TextValue', action: 'remove' },
  { tag: 'x0040a123', keyword: 'PersonName', action: 'remove' },
  { tag: 'x0040a073', keyword: 'VerifyingObserverSequence', action: 'remove' },
  { tag: 'x00700084', keyword: 'ContentCreatorName', action: 'remove' },
  { tag: 'x00700006', keyword: 'UnformattedTextValue', action: 'remove' },
  // Dates and times: dates shifted per patient, times dropped (a time of day can single out a visit).
  { tag: 'x00080020', keyword: 'StudyDate', action: 'shift-date' },
  { tag: 'x00080021', keyword: 'SeriesDate', action: 'remove' },
  { tag: 'x00080022', keyword: 'AcquisitionDate', action: 'remove' },
  { tag: 'x00080023', keyword: 'ContentDate', action: 'remove' },
  { tag: 'x00080030', keyword: 'StudyTime', action: 'remove' },
  { tag: 'x00080031', keyword: 'SeriesTime', action: 'remove' },
  // Identifiers of the objects: keyed-hash UIDs, consistent across files and re-imports.
  { tag: 'x0020000d', keyword: 'StudyInstanceUID', action: 'uid' },
  { tag: 'x0020000e', keyword: 'SeriesInstanceUID', action: 'uid' },
  { tag: 'x00080018', keyword: 'SOPInstanceUID', action: 'uid' },
  { tag: 'x00081155', keyword: 'ReferencedSOPInstanceUID', action: 'uid' },
  { tag: 'x00200052', keyword: 'FrameOfReferenceUID', action: 'uid' },
  // Technical attributes the geometry, the grouping and the annotations need.
  { tag: 'x00080016', keyword: 'SOPClassUID', action: 'keep' },
  { tag: 'x00080060', keyword: 'Modality', action: 'keep' },
  { tag: 'x00180015', keyword: 'BodyPartExamined', action: 'keep' },
  { tag: 'x00181210', keyword: 'ConvolutionKernel', action: 'keep' },
  { tag: 'x00200011', keyword: 'SeriesNumber', action: 'keep' },
  { tag: 'x00200013', keyword: 'InstanceNumber', action: 'keep' },
  { tag: 'x00200032', keyword: 'ImagePositionPatient', action: 'keep' },
  { tag: 'x00200037', keyword: 'ImageOrientationPatient', action: 'keep' },
  { tag: 'x00280030', keyword: 'PixelSpacing', action: 'keep' },
  { tag: 'x00280010', keyword: 'Rows', action: 'keep' },
  { tag: 'x00280011', keyword: 'Columns', action: 'keep' },
  { tag: 'x00280008', keyword: 'NumberOfFrames', action: 'keep' },
  // The structure of SR measurements and presentation-state graphics (codes, coordinates, references).
  { tag: 'x00081160', keyword: 'ReferencedFrameNumber', action: 'keep' },
  { tag: 'x0040a040', keyword: 'ValueType', action: 'keep' },
  { tag: 'x00080100', keyword: 'CodeValue', action: 'keep' },
  { tag: 'x00080102', keyword: 'CodingSchemeDesignator', action: 'keep' },
  { tag: 'x00080104', keyword: 'CodeMeaning', action: 'keep' },
  { tag: 'x00700023', keyword: 'GraphicType', action: 'keep' },
  { tag: 'x00700022', keyword: 'GraphicData', action: 'keep' },
  { tag: 'x00700005', keyword: 'GraphicAnnotationUnits', action: 'keep' },
  { tag: 'x00700014', keyword: 'AnchorPoint', action: 'keep' },
  { tag: 'x00700004', keyword: 'AnchorPointAnnotationUnits', action: 'keep' },
  { tag: 'x00700015', keyword: 'AnchorPointVisibility', action: 'keep' },
];

/** PS3.15 E.1-1 also removes every private attribute (odd group); the reader never reads them. */
export const PRIVATE_TAG_ACTION: DeidAction = 'remove';

export type DeidKeyword = (typeof DEID_RULES)[number]['keyword'];

export const RULE_BY_KEYWORD: ReadonlyMap<string, DeidRule> = new Map(DEID_RULES.map((r) => [r.keyword, r]));
