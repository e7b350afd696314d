import { DatasetScope } from '../common/dataset-scope';
import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DicomWebService, StoreResult } from '../dicomweb/dicomweb.service';
import { GrowthService } from '../growth/growth.service';
import { LesionsService } from '../lesions/lesions.service';
import { EncoderService } from '../ml/encoder.service';
import { SIMILAR_LESIONS, SimilarHit, SimilarLesions, similarQuery } from '../lesions/similar-lesions.port';
import { PointRequest, UploadedSlice } from '../uploads/slice-request';
import { stableUid } from './dicom-uids';
import { buildFhirReport, FhirBundle } from './fhir-report';
import { CT_IMAGE_STORAGE, LesionReport } from './lesion-report';
import { buildMeasurementReportSr, BuiltSr } from './measurement-report-sr';
import { POINT_TO_BOX, PointMeasurement, PointToBox } from './point-to-box.port';
import { ReportFormat } from './reporting.dto';

const SIMILAR_IN_REPORT = 5;
const SOFTWARE = 'lesion-retrieval-service';

export type RenderedReport = { format: 'dicom-sr'; sr: BuiltSr } | { format: 'fhir'; bundle: FhirBundle };

/**
 * Reports a reporting system can file: an archived lesion, or a point-to-box measurement on a slice
 * given by DICOMweb reference, as a TID 1500 SR or a FHIR R4 Bundle; the SR can be stored on a PACS.
 */
@Injectable()
export class ReportingService {
  constructor(
    @Inject(SIMILAR_LESIONS) private readonly similarLesions: SimilarLesions,
    @Inject(POINT_TO_BOX) private readonly pointToBox: PointToBox,
    private readonly lesions: LesionsService,
    private readonly growth: GrowthService,
    private readonly encoder: EncoderService,
    private readonly dicomWeb: DicomWebService,
  ) {}

  async lesionSr(lesionId: number, scope: DatasetScope): Promise<BuiltSr> {
    return buildMeasurementReportSr(await this.lesionReport(lesionId, scope));
  }

  async lesionFhir(lesionId: number, scope: DatasetScope): Promise<FhirBundle> {
    return buildFhirReport(await this.lesionReport(lesionId, scope));
  }

  /** Builds the lesion's SR and stores it on a configured source (STOW-RS). */
  async stowLesionSr(
    lesionId: number,
    source: string,
    scope: DatasetScope,
  ): Promise<{ source: string; sopInstanceUid: string; studyInstanceUid: string; stored: boolean }> {
    this.dicomWeb.source(source);
    const sr = await this.lesionSr(lesionId, scope);
    const result: StoreResult = await this.dicomWeb.store(source, [sr.bytes]);
    return {
      source,
      sopInstanceUid: sr.sopInstanceUid,
      studyInstanceUid: sr.studyInstanceUid,
      stored: result.stored.includes(sr.sopInstanceUid) && !result.failed.includes(sr.sopInstanceUid),
    };
  }

  /** Point-to-box on the slice (by reference or upload), then the measurement as a report. */
  async fromPointReport(request: PointRequest, format: ReportFormat, upload: UploadedSlice, scope: DatasetScope): Promise<RenderedReport> {
    if (!request.dicomweb && !upload.file?.length)
      throw new BadRequestException('Give the slice as dicomweb (a slice on a configured PACS) or upload it as the file "file"');
    const answer = await this.pointToBox.fromPoint(request, upload, scope);
    const report = this.pointReport(answer);
    return format === 'fhir' ? { format: 'fhir', bundle: buildFhirReport(report) } : { format: 'dicom-sr', sr: buildMeasurementReportSr(report) };
  }

  /** Everything in the report (similar cases, priors) comes from the scope's datasets; another dataset's lesion is a 404. */
  async lesionReport(lesionId: number, scope: DatasetScope): Promise<LesionReport> {
    const lesion = await this.lesions.getLesion(lesionId, scope);
    const [similar, track] = await Promise.all([this.similarTo(lesionId, scope), this.growth.trackOf(lesionId, scope)]);
    const at = track.points.findIndex((p) => p.lesionId === lesionId);
    const here = at >= 0 ? track.points[at] : null;
    const priors = at > 0 ? track.points.slice(0, at) : [];
    return {
      trackingIdentifier: `lesion ${lesionId}`,
      trackingUid: stableUid(`lesion:${lesionId}`),
      patient: { id: `${lesion.dataset}-patient-${lesion.patient.index}`, sex: lesion.patient.sex },
      image: {
        studyInstanceUid: lesion.study.studyInstanceUid,
        seriesInstanceUid: lesion.series.seriesInstanceUid,
        sopInstanceUid: lesion.sopInstanceUid,
        sopClassUid: CT_IMAGE_STORAGE,
        frame: null,
        modality: 'CT',
      },
      coarseType: lesion.coarseType.code,
      box: lesion.box,
      recist: lesion.recist,
      longAxisMm: lesion.diameters.longAxisMm,
      shortAxisMm: lesion.diameters.shortAxisMm,
      tags: lesion.tags.map((t) => ({ term: t.term, confidence: t.source === 'predicted' ? t.confidence : null })),
      growth: priors.length
        ? {
            recist: here?.recist ?? null,
            percentFromBaseline: here?.percentFromBaseline ?? null,
            priors: priors.map((p) => ({ lesionId: p.lesionId, studyIndex: p.studyIndex, longAxisMm: p.longAxisMm })),
          }
        : null,
      similar: similar.map(similarCase),
      observer: this.observer(),
      createdAt: new Date(),
    };
  }

  private pointReport(answer: PointMeasurement): LesionReport {
    const ref = answer.dicomweb;
    const priors = ref?.priors.lesions ?? [];
    const baseline = priors.find((p) => p.diameters.longAxisMm !== null)?.diameters.longAxisMm ?? null;
    return {
      trackingIdentifier: 'point-to-box measurement',
      // One tracking UID per measured image and box: asking again for the same point gives the same one.
      trackingUid: stableUid(`point:${ref?.reference.sopInstanceUid ?? 'upload'}:${answer.box.x1},${answer.box.y1},${answer.box.x2},${answer.box.y2}`),
      patient: { id: null, sex: null },
      image: {
        studyInstanceUid: ref?.reference.studyInstanceUid ?? null,
        seriesInstanceUid: ref?.reference.seriesInstanceUid ?? null,
        sopInstanceUid: ref?.reference.sopInstanceUid ?? null,
        sopClassUid: ref?.instance.sopClassUid ?? CT_IMAGE_STORAGE,
        frame: ref && ref.instance.numberOfFrames > 1 ? ref.reference.frame : null,
        modality: ref?.instance.modality ?? 'CT',
      },
      coarseType: null,
      box: answer.box,
      recist: null,
      longAxisMm: answer.longAxisMm,
      shortAxisMm: answer.shortAxisMm,
      tags: (answer.tags ?? []).map((t) => ({ term: t.term, confidence: t.confidence })),
      growth: priors.length
        ? {
            recist: null,
            percentFromBaseline: baseline && answer.longAxisMm !== null ? ((answer.longAxisMm - baseline) / baseline) * 100 : null,
            priors: priors.map((p) => ({ lesionId: p.id, studyIndex: p.study.index, longAxisMm: p.diameters.longAxisMm })),
          }
        : null,
      similar: (answer.similar ?? []).map(similarCase),
      observer: this.observer(),
      createdAt: new Date(),
    };
  }

  private async similarTo(lesionId: number, scope: DatasetScope): Promise<SimilarHit[]> {
    try {
      return (await this.similarLesions.similar(similarQuery({ lesionId, k: SIMILAR_IN_REPORT }, scope), scope)).hits;
    } catch (error) {
      // A lesion not embedded yet still gets its report, without similar cases.
      if (error instanceof NotFoundException) return [];
      throw error;
    }
  }

  private observer(): LesionReport['observer'] {
    const { name, modelId } = this.encoder.status();
    return { uid: stableUid(`observer:${modelId ?? name}`), name: SOFTWARE, manufacturer: SOFTWARE, modelName: name };
  }
}

function similarCase(hit: SimilarHit): LesionReport['similar'][number] {
  return { lesionId: hit.lesion.id, similarity: hit.similarity, studyInstanceUid: hit.lesion.study.studyInstanceUid, coarseType: hit.lesion.coarseType.name };
}
