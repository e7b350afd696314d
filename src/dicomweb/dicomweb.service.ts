import { randomBytes } from 'node:crypto';
import {
  BadGatewayException,
  BadRequestException,
  GatewayTimeoutException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { currentRequestSignal } from '../common/request-timeout.interceptor';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { isDicomUid } from './dicom-uid';
import { DicomWebSource } from '../config/dicomweb-sources';
import { DicomWebError, DicomWebRepository } from './dicomweb.repository';
import { buildMultipartRelated, MultipartError, parseContentType, parseMultipartRelated } from './multipart-related';

/** A DICOM JSON object (PS3.18 §F.2): tag → {vr, Value}. */
export type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

export interface QidoQuery {
  patientId?: string;
  /** YYYYMMDD, inclusive. */
  studyDateFrom?: string;
  studyDateTo?: string;
  modality?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  limit?: number;
  offset?: number;
}

export interface InstanceRef {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

export interface StoreResult {
  stored: string[];
  failed: string[];
}

export interface RetrievedStudy {
  /** File names written (`{SOPInstanceUID}.dcm`). */
  files: string[];
  bytes: number;
  /** Instances not written because the cache bound was reached. */
  skipped: number;
}

const MAX_QIDO_RESULTS = 1000;
const INSTANCE_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';

/**
 * The DICOMweb client: QIDO-RS searches, WADO-RS instance retrieval, STOW-RS storage, against the
 * configured sources. Failures become HTTP answers naming the source (never its URL or credentials):
 * unreachable 502, too slow 504, an instance it does not have 404, an answer over the bound 502.
 */
@Injectable()
export class DicomWebService {
  private readonly logger = new Logger('DicomWeb');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: DicomWebRepository,
  ) {}

  sourceNames(): string[] {
    return [...this.config.dicomWeb.sources.keys()];
  }

  /** The named source, or 400 naming the configured ones. */
  source(name: string): DicomWebSource {
    const source = this.config.dicomWeb.sources.get(name);
    if (!source) {
      const known = this.sourceNames();
      throw new BadRequestException(
        `dicomweb.source "${String(name).slice(0, 64)}" is not a configured DICOMweb source (${known.length ? `configured: ${known.join(', ')}` : 'none is configured: set DICOMWEB_SOURCES'})`,
      );
    }
    return source;
  }

  searchStudies(sourceName: string, query: QidoQuery): Promise<DicomJson[]> {
    return this.qido(sourceName, '/studies', query);
  }

  searchSeries(sourceName: string, query: QidoQuery): Promise<DicomJson[]> {
    return this.qido(sourceName, query.studyInstanceUid ? `/studies/${uid(query.studyInstanceUid, 'studyInstanceUid')}/series` : '/series', {
      ...query,
      studyInstanceUid: undefined,
    });
  }

  searchInstances(sourceName: string, query: QidoQuery): Promise<DicomJson[]> {
    let route = '/instances';
    if (query.studyInstanceUid) {
      route = `/studies/${uid(query.studyInstanceUid, 'studyInstanceUid')}${query.seriesInstanceUid ? `/series/${uid(query.seriesInstanceUid, 'seriesInstanceUid')}` : ''}/instances`;
    }
    return this.qido(sourceName, route, { ...query, studyInstanceUid: undefined, seriesInstanceUid: undefined });
  }

  /** One instance's bytes (WADO-RS, multipart/related with one application/dicom part). */
  async retrieveInstance(sourceName: string, ref: InstanceRef, maxBytes = this.config.dicomWeb.maxResponseBytes): Promise<Buffer> {
    const source = this.source(sourceName);
    const route = `/studies/${uid(ref.studyInstanceUid, 'studyInstanceUid')}/series/${uid(ref.seriesInstanceUid, 'seriesInstanceUid')}/instances/${uid(ref.sopInstanceUid, 'sopInstanceUid')}`;
    const response = await this.call(source, route, { accept: INSTANCE_ACCEPT, maxBytes }, `instance ${ref.sopInstanceUid}`);
    const type = parseContentType(response.contentType)?.type;
    if (type === 'application/dicom') return response.body;
    let parts;
    try {
      parts = parseMultipartRelated(response.body, response.contentType, { maxParts: 1, maxPartBytes: maxBytes });
    } catch (error) {
      if (error instanceof MultipartError) throw new BadGatewayException(`DICOMweb source "${source.name}" answered an unreadable instance (${error.message})`);
      throw error;
    }
    if (parts.length !== 1) throw new BadGatewayException(`DICOMweb source "${source.name}" answered ${parts.length} parts for one instance`);
    return Buffer.from(parts[0].body);
  }

  /** Stores instances (STOW-RS, POST /studies); the SOP Instance UIDs the source accepted and refused. */
  async store(sourceName: string, instances: Uint8Array[]): Promise<StoreResult> {
    const source = this.source(sourceName);
    const { body, contentType } = buildMultipartRelated(
      instances.map((b) => ({ contentType: 'application/dicom', body: b })),
      `lrs-${randomBytes(16).toString('hex')}`,
    );
    const response = await this.call(
      source,
      '/studies',
      { method: 'POST', accept: 'application/dicom+json', body, contentType, maxBytes: 1024 ** 2 },
      'the stored instances',
    );
    let answer: DicomJson = {};
    try {
      answer = response.body.length ? (JSON.parse(response.body.toString('utf8')) as DicomJson) : {};
    } catch {
      throw new BadGatewayException(`DICOMweb source "${source.name}" answered the store with unreadable JSON`);
    }
    const sopUids = (tag: string) =>
      ((answer?.[tag]?.Value ?? []) as DicomJson[]).map((item) => (item?.['00081155']?.Value?.[0] as string | undefined) ?? '').filter(isDicomUid);
    return { stored: sopUids('00081199'), failed: sopUids('00081198') };
  }

  /**
   * Every instance of a study into `folder` as `{SOPInstanceUID}.dcm`, one instance at a time (memory
   * stays one instance), stopping before the folder would pass `maxBytes`: the PACS-import building block.
   */
  async retrieveStudyToFolder(sourceName: string, studyInstanceUid: string, folder: string, maxBytes: number): Promise<RetrievedStudy> {
    const listed = await this.searchInstances(sourceName, { studyInstanceUid, limit: MAX_QIDO_RESULTS });
    if (listed.length === 0) throw new NotFoundException(`study ${studyInstanceUid} not found on DICOMweb source "${sourceName}"`);
    const result: RetrievedStudy = { files: [], bytes: 0, skipped: 0 };
    for (const item of listed) {
      const ref = { studyInstanceUid, seriesInstanceUid: firstString(item, '0020000E'), sopInstanceUid: firstString(item, '00080018') };
      if (!isDicomUid(ref.seriesInstanceUid) || !isDicomUid(ref.sopInstanceUid)) continue;
      const room = maxBytes - result.bytes;
      if (room <= 0) {
        result.skipped++;
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await this.retrieveInstance(sourceName, ref, Math.min(room, this.config.dicomWeb.maxResponseBytes));
      } catch (error) {
        // An instance larger than the room left is skipped, not fatal: the next ones may fit.
        if (error instanceof PayloadTooLargeException && room < this.config.dicomWeb.maxResponseBytes) {
          result.skipped++;
          continue;
        }
        throw error;
      }
      await this.repository.writeInstance(folder, `${ref.sopInstanceUid}.dcm`, bytes);
      result.files.push(`${ref.sopInstanceUid}.dcm`);
      result.bytes += bytes.length;
    }
    return result;
  }

  private async qido(sourceName: string, route: string, query: QidoQuery): Promise<DicomJson[]> {
    const source = this.source(sourceName);
    const params = new URLSearchParams();
    if (query.patientId !== undefined) params.set('PatientID', query.patientId);
    if (query.studyDateFrom !== undefined || query.studyDateTo !== undefined)
      params.set('StudyDate', `${query.studyDateFrom ?? ''}-${query.studyDateTo ?? ''}`);
    if (query.modality !== undefined) params.set('ModalitiesInStudy', query.modality);
    if (query.studyInstanceUid !== undefined) params.set('StudyInstanceUID', uid(query.studyInstanceUid, 'studyInstanceUid'));
    params.set('limit', String(Math.min(query.limit ?? 100, MAX_QIDO_RESULTS)));
    if (query.offset) params.set('offset', String(query.offset));
    const response = await this.call(
      source,
      `${route}?${params}`,
      { accept: 'application/dicom+json', maxBytes: this.config.dicomWeb.maxResponseBytes },
      'the search',
    );
    if (response.status === 204 || response.body.length === 0) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new BadGatewayException(`DICOMweb source "${source.name}" answered a search with unreadable JSON`);
    }
    if (!Array.isArray(parsed)) throw new BadGatewayException(`DICOMweb source "${source.name}" answered a search with something other than a list`);
    return parsed.slice(0, MAX_QIDO_RESULTS) as DicomJson[];
  }

  private async call(
    source: DicomWebSource,
    route: string,
    options: { method?: 'GET' | 'POST'; accept: string; body?: Buffer; contentType?: string; maxBytes: number },
    what: string,
  ) {
    try {
      const response = await this.repository.request(source, route, { ...options, timeoutMs: this.config.dicomWeb.timeoutMs, signal: currentRequestSignal() });
      if (response.status >= 300) throw new DicomWebError('status', `answered ${response.status}`, response.status);
      return response;
    } catch (error) {
      throw this.translate(error, source, what);
    }
  }

  /** A DicomWebError as the HTTP answer naming the source; anything else unchanged. */
  private translate(error: unknown, source: DicomWebSource, what: string): unknown {
    if (!(error instanceof DicomWebError)) return error;
    const name = `DICOMweb source "${source.name}"`;
    // The source's URL and credentials stay in the configuration: answers and logs name the source only.
    const line = `${name}: ${error.kind}${error.status ? ` (${error.status})` : ''}`;
    if (error.kind === 'not-found') this.logger.debug(line);
    else this.logger.warn(line);
    switch (error.kind) {
      case 'unreachable':
        return new BadGatewayException(`${name} is unreachable`);
      case 'timeout':
        return new GatewayTimeoutException(`${name} did not answer within ${this.config.dicomWeb.timeoutMs} ms (DICOMWEB_TIMEOUT_MS)`);
      case 'not-found':
        return new NotFoundException(`${what} not found on ${name}`);
      case 'too-large':
        return what.startsWith('instance')
          ? new PayloadTooLargeException(`${what} on ${name} is larger than the service takes (MAX_UPLOAD_BYTES, DICOMWEB_MAX_RESPONSE_BYTES)`)
          : new BadGatewayException(`${name} answered more than the service reads (DICOMWEB_MAX_RESPONSE_BYTES)`);
      default:
        return new BadGatewayException(`${name} answered ${error.status} for ${what}`);
    }
  }
}

function uid(value: string, field: string): string {
  if (!isDicomUid(value)) throw new BadRequestException(`${field} must be a DICOM UID (digits and dots, at most 64 characters)`);
  return value;
}

function firstString(item: DicomJson, tag: string): string {
  const value = item?.[tag]?.Value?.[0];
  return typeof value === 'string' ? value : '';
}
