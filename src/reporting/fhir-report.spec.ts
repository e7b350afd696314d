/* eslint-disable @typescript-eslint/no-explicit-any -- the FHIR bundle is walked as plain JSON */
import { Fhir } from 'fhir';
import { buildFhirReport } from './fhir-report';
import { fullReport } from './report-fixture.testing';

describe('buildFhirReport', () => {
  const fhir = new Fhir();

  it('validates as FHIR R4 with no errors', () => {
    const result = fhir.validate(buildFhirReport(fullReport()), {});
    expect(result.messages.filter((m) => m.severity === 'error')).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('is a Bundle with a DiagnosticReport whose results are the axes in UCUM mm, the finding with its site, and an ImagingStudy with the UIDs', () => {
    const bundle = buildFhirReport(fullReport());
    const byUrl = new Map<string, any>(bundle.entry.map((e) => [e.fullUrl, e.resource]));
    const report: any = bundle.entry[0].resource;
    expect(report.resourceType).toBe('DiagnosticReport');
    const results = report.result.map((r: { reference: string }) => byUrl.get(r.reference)!);
    const axis = (code: string) => results.find((o: any) => o.code.coding[0].code === code);
    expect(axis('103339001').valueQuantity).toEqual({ value: 25.2, unit: 'mm', system: 'http://unitsofmeasure.org', code: 'mm' });
    expect(axis('103340004').valueQuantity.value).toBe(18.25);
    const finding = axis('121071');
    expect(finding.valueCodeableConcept.coding[0].code).toBe('52988006');
    expect(finding.bodySite.coding.map((c: { code: string }) => c.code)).toEqual(['10200004', 'RID58']);
    const similar = results.filter((o: any) => o.code.coding[0].code === 'SIMCASE');
    expect(similar.map((o: any) => o.component[0].valueQuantity.value)).toEqual([0.9312, 0.88]);
    const study = byUrl.get(report.imagingStudy[0].reference)!;
    expect(study.identifier[0].value).toBe('urn:oid:2.25.11');
    expect(study.series[0].instance[0].uid).toBe('2.25.13');
    expect(byUrl.get(report.subject.reference)!.identifier[0].value).toBe('DeepLesion-patient-3');
  });

  it('still validates with nothing optional (no UIDs, no sizes, no growth, no similar cases)', () => {
    const bare = buildFhirReport(
      fullReport({
        image: { studyInstanceUid: null, seriesInstanceUid: null, sopInstanceUid: null, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', frame: null, modality: 'CT' },
        coarseType: null,
        longAxisMm: null,
        shortAxisMm: null,
        tags: [],
        growth: null,
        similar: [],
      }),
    );
    const result = fhir.validate(bare, {});
    expect(result.messages.filter((m) => m.severity === 'error')).toEqual([]);
    expect(bare.entry.map((e) => e.resource.resourceType)).toEqual(['DiagnosticReport', 'Observation', 'ImagingStudy', 'Patient']);
  });

  it('catches a broken resource (the validator is not a rubber stamp)', () => {
    const broken = buildFhirReport(fullReport());
    broken.entry[0].resource.status = 'not-a-status';
    delete (broken.entry[1].resource as Record<string, unknown>).code;
    const result = fhir.validate(broken, {});
    expect(result.valid).toBe(false);
  });
});
