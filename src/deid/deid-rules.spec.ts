import { DEID_RULES, PRIVATE_TAG_ACTION } from './deid-rules';

describe('DEID_RULES (PS3.15 Table E.1-1, Basic Profile + Retain Patient Characteristics)', () => {
  const action = (keyword: string) => DEID_RULES.find((r) => r.keyword === keyword)?.action;

  it('lists each attribute once, with a well-formed tag', () => {
    expect(new Set(DEID_RULES.map((r) => r.keyword)).size).toBe(DEID_RULES.length);
    expect(new Set(DEID_RULES.map((r) => r.tag)).size).toBe(DEID_RULES.length);
    for (const rule of DEID_RULES) expect(rule.tag).toMatch(/^x[0-9a-f]{8}$/);
    // No private (odd group) attribute is ever read.
    for (const rule of DEID_RULES) expect(parseInt(rule.tag.slice(1, 5), 16) % 2).toBe(0);
    expect(PRIVATE_TAG_ACTION).toBe('remove');
  });

  it('removes names, addresses, accession, institution, physicians, operators, study ID, free text, device serial and times', () => {
    const removed = [
      'PatientName',
      'OtherPatientIDs',
      'OtherPatientNames',
      'PatientBirthName',
      'PatientMotherBirthName',
      'PatientBirthTime',
      'PatientAddress',
      'PatientTelephoneNumbers',
      'PatientComments',
      'AccessionNumber',
      'StudyID',
      'StudyDescription',
      'SeriesDescription',
      'InstitutionName',
      'InstitutionAddress',
      'InstitutionalDepartmentName',
      'ReferringPhysicianName',
      'PerformingPhysicianName',
      'NameOfPhysiciansReadingStudy',
      'PhysiciansOfRecord',
      'OperatorsName',
      'StationName',
      'DeviceSerialNumber',
      'ImageComments',
      'TextValue',
      'PersonName',
      'ContentCreatorName',
      'UnformattedTextValue',
      'StudyTime',
      'SeriesTime',
      'AdditionalPatientHistory',
    ];
    for (const keyword of removed) expect({ keyword, action: action(keyword) }).toEqual({ keyword, action: 'remove' });
  });

  it('turns identifiers into pseudonyms, UIDs into keyed UIDs, shifts the study date and keeps sex and age only as characteristics', () => {
    expect(action('PatientID')).toBe('patient-key');
    expect(action('IssuerOfPatientID')).toBe('patient-key');
    expect(action('PatientBirthDate')).toBe('age-source');
    expect(action('PatientAge')).toBe('age-source');
    expect(action('PatientSex')).toBe('keep');
    expect(action('StudyDate')).toBe('shift-date');
    for (const uid of ['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID', 'ReferencedSOPInstanceUID', 'FrameOfReferenceUID'])
      expect(action(uid)).toBe('uid');
  });

  it('keeps nothing whose name says it is about a person, an institution or free text', () => {
    const kept = DEID_RULES.filter((r) => r.action === 'keep').map((r) => r.keyword);
    expect(
      kept.filter(
        (k) =>
          /Name|Address|Physician|Operator|Institution|Comment|Description|Text|ID$|Date|Time|Serial/.test(k) && !['CodeMeaning', 'SOPClassUID'].includes(k),
      ),
    ).toEqual([]);
  });
});
