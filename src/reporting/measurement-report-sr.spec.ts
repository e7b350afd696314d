import { buildMeasurementReportSr, COMPREHENSIVE_SR_STORAGE, readDicomNaturalized } from './measurement-report-sr';
import { fullReport } from './report-fixture.testing';

type Node = Record<string, unknown> & { ContentSequence?: Node[] };
const meaning = (item: Node) => ((item.ConceptNameCodeSequence as Node[] | undefined)?.[0]?.CodeMeaning as string | undefined) ?? '';
const walk = (item: Node, out: Node[] = []): Node[] => {
  out.push(item);
  for (const child of item.ContentSequence ?? []) walk(child, out);
  return out;
};

describe('buildMeasurementReportSr', () => {
  it('writes a Comprehensive SR with the TID 1500 root, joining the referenced study', () => {
    const sr = buildMeasurementReportSr(fullReport());
    const ds = readDicomNaturalized(sr.bytes) as Node;
    expect(ds.SOPClassUID).toBe(COMPREHENSIVE_SR_STORAGE);
    expect(ds.Modality).toBe('SR');
    expect(ds.StudyInstanceUID).toBe('2.25.11');
    expect(ds.SOPInstanceUID).toBe(sr.sopInstanceUid);
    expect(sr.sopInstanceUid).toMatch(/^2\.25\.\d+$/);
    expect(sr.sopInstanceUid.length).toBeLessThanOrEqual(64);
    expect(meaning(ds)).toBe('Imaging Measurement Report');
    expect((ds.ContentTemplateSequence as Node[])[0].TemplateIdentifier).toBe('1500');
    expect(ds.PatientID).toBe('DeepLesion-patient-3');
  });

  it('holds the measurements in mm, the box and RECIST axes as polylines on the image, tags, growth and similar cases', () => {
    const ds = readDicomNaturalized(buildMeasurementReportSr(fullReport()).bytes) as Node;
    const items = walk(ds);
    const nums = items.filter((i) => i.ValueType === 'NUM');
    const value = (name: string) => {
      const seq = (nums.find((n) => meaning(n) === name)!.MeasuredValueSequence as Node[])[0];
      return { value: Number(seq.NumericValue), unit: (seq.MeasurementUnitsCodeSequence as Node[])[0].CodeValue };
    };
    expect(value('Long Axis')).toEqual({ value: 25.2, unit: 'mm' });
    expect(value('Short Axis')).toEqual({ value: 18.25, unit: 'mm' });
    expect(value('Long axis change from baseline')).toEqual({ value: 31.5, unit: '%' });
    const region = items.find((i) => meaning(i) === 'Image Region')!;
    expect(region.GraphicType).toBe('POLYLINE');
    expect(region.GraphicData).toEqual([100, 120, 140, 120, 140, 150, 100, 150, 100, 120]);
    const selected = region.ContentSequence![0];
    expect(selected.RelationshipType).toBe('SELECTED FROM');
    expect((selected.ReferencedSOPSequence as Node[])[0].ReferencedSOPInstanceUID).toBe('2.25.13');
    const longAxisLine = nums.find((n) => meaning(n) === 'Long Axis')!.ContentSequence![0];
    expect(longAxisLine.GraphicData).toEqual([102, 135, 138, 135]);
    const site = items.find((i) => meaning(i) === 'Finding Site')!;
    expect((site.ConceptCodeSequence as Node[])[0]).toMatchObject({ CodeValue: '10200004', CodingSchemeDesignator: 'SCT' });
    expect(items.filter((i) => meaning(i) === 'Qualitative Evaluations').map((i) => i.TextValue)).toEqual(['hypodense (confidence 0.91)', 'liver']);
    expect(items.find((i) => meaning(i) === 'RECIST 1.1 response of the tracked lesion')!.TextValue).toBe('PD');
    const cases = items.filter((i) => meaning(i) === 'Similar archived lesion');
    expect(cases.map((c) => c.TextValue)).toEqual(['lesion 7 (liver)', 'lesion 9 (liver)']);
    expect(cases[0].ContentSequence!.map((c) => c.UID ?? Number((c.MeasuredValueSequence as Node[])[0].NumericValue))).toEqual([0.9312, '2.25.77']);
    expect(items.find((i) => meaning(i) === 'Tracking Unique Identifier')!.UID).toBe('2.25.1234567890');
    const evidence = (ds.CurrentRequestedProcedureEvidenceSequence as Node[])[0];
    expect(evidence.StudyInstanceUID).toBe('2.25.11');
  });

  it('leaves out coordinates and the image library when the image UIDs are unknown, and makes its own study UID', () => {
    const report = fullReport({
      image: { studyInstanceUid: null, seriesInstanceUid: null, sopInstanceUid: null, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', frame: null, modality: 'CT' },
    });
    const sr = buildMeasurementReportSr(report);
    const ds = readDicomNaturalized(sr.bytes) as Node;
    const items = walk(ds);
    expect(items.some((i) => i.ValueType === 'SCOORD' || i.ValueType === 'IMAGE')).toBe(false);
    expect(items.some((i) => meaning(i) === 'Long Axis')).toBe(true);
    expect(ds.StudyInstanceUID).toBe(sr.studyInstanceUid);
    expect(ds.CurrentRequestedProcedureEvidenceSequence).toBeUndefined();
  });

  it('keeps every numeric value within DS’s 16 characters', () => {
    const ds = readDicomNaturalized(buildMeasurementReportSr(fullReport({ longAxisMm: 123456.123456789, shortAxisMm: 1 / 3 })).bytes) as Node;
    const values = walk(ds)
      .filter((i) => i.ValueType === 'NUM')
      .map((n) => String((n.MeasuredValueSequence as Node[])[0].NumericValue));
    for (const v of values) expect(v.length).toBeLessThanOrEqual(16);
    expect(values).toContain('0.333333');
  });
});
