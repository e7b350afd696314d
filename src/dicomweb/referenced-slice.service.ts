import { DatasetScope } from '../common/dataset-scope';
import { Inject, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DicomWebReferenceDto } from './dicomweb.dto';
import { DicomWebService } from './dicomweb.service';
import { InstanceHeader, InstanceHeaderError, readInstanceHeader } from './instance-header';
import { PRIOR_LESION_FINDER, PriorLesion, PriorLesionFinder } from './prior-lesion-finder.port';

/** The referenced slice's bytes (handed to the upload decoding path) and what the answer may say about it. */
export interface ReferencedSlice {
  bytes: Buffer;
  header: InstanceHeader;
}

/** What an answer to a query by reference adds: the reference as asked, and the same patient's archived lesions. */
export interface ReferenceFindings {
  reference: { source: string; studyInstanceUid: string; seriesInstanceUid: string; sopInstanceUid: string; frame: number };
  /** Non-identifying facts of the fetched instance (what an SR referencing it needs). */
  instance: { sopClassUid: string | null; modality: string | null; numberOfFrames: number };
  /** found: the patient has archived lesions; none: none (or no Patient ID); unavailable: no de-identification secret. */
  priors: { state: 'found' | 'none' | 'unavailable'; lesions: PriorLesion[] };
}

/**
 * Queries by DICOMweb reference: fetch the instance by WADO-RS, check it is an image with the asked frame,
 * and find the same patient's archived lesions through the prior-lesion port.
 */
@Injectable()
export class ReferencedSliceService {
  constructor(
    private readonly dicomWeb: DicomWebService,
    @Inject(PRIOR_LESION_FINDER) private readonly priorFinder: PriorLesionFinder,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async fetch(ref: DicomWebReferenceDto): Promise<ReferencedSlice> {
    // A referenced slice is bounded as an upload is (MAX_UPLOAD_BYTES), and as any DICOMweb answer.
    const bytes = await this.dicomWeb.retrieveInstance(ref.source, ref, Math.min(this.config.maxUploadBytes, this.config.dicomWeb.maxResponseBytes));
    let header: InstanceHeader;
    try {
      header = readInstanceHeader(bytes);
    } catch (error) {
      if (error instanceof InstanceHeaderError) throw new UnprocessableEntityException(`instance ${ref.sopInstanceUid}: ${error.message}`);
      throw error;
    }
    if (!header.hasPixelData) {
      throw new UnprocessableEntityException(
        `instance ${ref.sopInstanceUid} is not an image (no pixel data${header.modality && /^[A-Z0-9_ ]{1,16}$/.test(header.modality) ? `; modality ${header.modality}` : ''}): reference a CT or other image instance`,
      );
    }
    const frame = ref.frame ?? 1;
    if (frame > header.numberOfFrames) {
      throw new UnprocessableEntityException(`dicomweb.frame ${frame} is out of range: instance ${ref.sopInstanceUid} has ${header.numberOfFrames} frame(s)`);
    }
    if (header.sopInstanceUid !== null && header.sopInstanceUid !== ref.sopInstanceUid) {
      throw new UnprocessableEntityException(`the source answered another instance than ${ref.sopInstanceUid}`);
    }
    return { bytes, header };
  }

  /**
   * The reference as asked (the caller's own UIDs) and the same patient's archived lesions in the scope's
   * datasets (a key limited to some datasets never sees another dataset's priors), pseudonymous only.
   */
  async findings(ref: DicomWebReferenceDto, header: InstanceHeader, scope: DatasetScope): Promise<ReferenceFindings> {
    const found = header.patientId
      ? await this.priorFinder.findPriors({ issuerOfPatientId: header.issuerOfPatientId, patientId: header.patientId }, scope.datasets)
      : [];
    const lesions = found ?? [];
    return {
      reference: {
        source: ref.source,
        studyInstanceUid: ref.studyInstanceUid,
        seriesInstanceUid: ref.seriesInstanceUid,
        sopInstanceUid: ref.sopInstanceUid,
        frame: ref.frame ?? 1,
      },
      instance: {
        sopClassUid: header.sopClassUid && /^[0-9.]{1,64}$/.test(header.sopClassUid) ? header.sopClassUid : null,
        modality: header.modality && /^[A-Z]{1,16}$/.test(header.modality) ? header.modality : null,
        numberOfFrames: header.numberOfFrames,
      },
      priors: { state: found === null ? 'unavailable' : lesions.length ? 'found' : 'none', lesions },
    };
  }
}
