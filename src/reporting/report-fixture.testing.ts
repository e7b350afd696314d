import { LesionReport, CT_IMAGE_STORAGE } from './lesion-report';

/** A report with every part filled (image UIDs, RECIST, tags, growth, similar cases), for the builders' specs. */
export function fullReport(overrides: Partial<LesionReport> = {}): LesionReport {
  return {
    trackingIdentifier: 'lesion 42',
    trackingUid: '2.25.1234567890',
    patient: { id: 'DeepLesion-patient-3', sex: 'F' },
    image: { studyInstanceUid: '2.25.11', seriesInstanceUid: '2.25.12', sopInstanceUid: '2.25.13', sopClassUid: CT_IMAGE_STORAGE, frame: null, modality: 'CT' },
    coarseType: 4,
    box: { x1: 100, y1: 120, x2: 140, y2: 150 },
    recist: [102, 135, 138, 135, 120, 122, 120, 148],
    longAxisMm: 25.2,
    shortAxisMm: 18.25,
    tags: [
      { term: 'hypodense', confidence: 0.91 },
      { term: 'liver', confidence: null },
    ],
    growth: { recist: 'PD', percentFromBaseline: 31.5, priors: [{ lesionId: 40, studyIndex: 1, longAxisMm: 19.2 }] },
    similar: [
      { lesionId: 7, similarity: 0.9312, studyInstanceUid: '2.25.77', coarseType: 'liver' },
      { lesionId: 9, similarity: 0.88, studyInstanceUid: null, coarseType: 'liver' },
    ],
    observer: { uid: '2.25.999', name: 'lesion-retrieval-service', manufacturer: 'lesion-retrieval-service', modelName: 'default-scattering' },
    createdAt: new Date('2026-12-02T10:20:30Z'),
    ...overrides,
  };
}
