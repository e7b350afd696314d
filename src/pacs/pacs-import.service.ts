import { createHmac } from 'node:crypto';
import {
  BadRequestException,
  HttpException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnModuleInit,
  PayloadTooLargeException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { ArchiveImportService, ArchiveProgressListener, ArchiveSourceError, FetchedImport } from '../archive/archive-import.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { isDicomUid } from '../dicomweb/dicom-uid';
import { DicomJson, DicomWebService } from '../dicomweb/dicomweb.service';
import { DicomWebImporter, MAX_QUERY_STUDIES, DicomWebImportRequest, IngestJobView } from '../ingest-jobs/ingest.types';
import { PacsImportJobPayload } from '../jobs/job-payloads';
import { JOB_QUEUE, JobContext, JobQueue } from '../jobs/job-queue.port';
import { isTransientError } from '../jobs/transient-error';
import { cacheName, studiesToEvict } from './pacs-cache';
import { PacsCacheRepository } from './pacs-cache.repository';
import { openStudies, sealStudies, SealedStudiesError } from './sealed-studies';

/** Instances listed per study (QIDO bound of the client). */
const MAX_STUDY_INSTANCES = 1000;

/** SOP classes that are not images: SR documents, presentation states, key objects, encapsulated documents. */
const NON_IMAGE_CLASS = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.(88|11|104)\./;

/** A study the request names, with its instances when they were listed while checking it. */
interface ResolvedStudy {
  uid: string;
  instances: StudyListing['instances'];
}

interface StudyListing {
  /** The study UID as the source states it (kept in memory only, never stored or answered). */
  uid: string;
  /** Its folder in the cache (keyed hash). */
  folder: string;
  /** Null until listed. */
  instances: { seriesInstanceUid: string; sopInstanceUid: string; sopClassUid: string | null }[] | null;
}

/**
 * PACS imports: the studies a request names (one UID, or a QIDO query) are retrieved by WADO-RS into the
 * cache (DICOMWEB_CACHE_DIR, keyed-hash names, bounded by DICOMWEB_CACHE_MAX_BYTES, oldest studies evicted)
 * and imported by the archive importer (same de-identification, idempotence, resume, one job). Problems
 * found before the job exists are answered (400/404/422/502/504); later ones fail the job with a reason
 * that names studies by their position in the request, never by UID. With a shared queue (REDIS_URL) the
 * request is checked and its job row created here, and a worker retrieves and imports ('pacs-import').
 */
@Injectable()
export class PacsImportService implements DicomWebImporter, OnModuleInit {
  private readonly logger = new Logger('PacsImport');

  constructor(
    private readonly dicomWeb: DicomWebService,
    private readonly archive: ArchiveImportService,
    private readonly cache: PacsCacheRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    this.queue.handle('pacs-import', (payload, context) => this.runQueued(payload, context));
  }

  /** Checks the request and resolves its studies, then retrieves and imports them here; resolves once the job exists. */
  async start(request: DicomWebImportRequest, onProgress?: ArchiveProgressListener): Promise<{ job: IngestJobView; done: Promise<IngestJobView> }> {
    const { secret, studies } = await this.check(request);
    return this.archive.startFetched(this.fetchedImport(request.source, request.dataset, secret, studies), onProgress);
  }

  /**
   * A PACS import asked for over HTTP. In-process (no REDIS_URL) it starts here, as `start` does. With a
   * shared queue the request is checked and its studies resolved here (400/404/422/502/504 as in-process),
   * the job row created (or an unfinished one of the same request reused) as 'queued', and a worker
   * retrieves and imports (`runQueued`). The payload carries the studies sealed, never in clear.
   */
  async submit(request: DicomWebImportRequest): Promise<{ job: IngestJobView }> {
    if (!this.queue.distributed) return this.start(request);
    await this.queue.assertRoom('pacs-import');
    const { secret, studies } = await this.check(request);
    const fetched = this.fetchedImport(request.source, request.dataset, secret, studies);
    const job = await this.archive.queueFetched(fetched);
    const sealed = sealStudies(secret, job.id, sortedUids(studies));
    await this.queue.enqueue('pacs-import', { jobId: job.id, source: request.source, dataset: request.dataset, studies: sealed });
    return { job };
  }

  /**
   * A queued PACS import, on a worker: the studies are unsealed with this process's secret, retrieved into
   * the cache (what an earlier try cached is not fetched again) and imported from the job's cursor. A
   * payload this process cannot act on (another DEID_SECRET, a source it does not know) fails the job.
   */
  private async runQueued(payload: PacsImportJobPayload, context: JobContext): Promise<void> {
    let secret: string;
    let fetched: FetchedImport;
    try {
      this.dicomWeb.source(payload.source);
      secret = await this.archive.deidSecret();
      const studies = openStudies(secret, payload.jobId, payload.studies).map((uid) => ({ uid, instances: null }));
      fetched = this.fetchedImport(payload.source, payload.dataset, secret, studies);
    } catch (error) {
      if (isTransientError(error)) throw error;
      const known = error instanceof HttpException || error instanceof SealedStudiesError;
      await this.archive.failQueued(payload.jobId, known ? error.message : 'the import could not start');
      return;
    }
    await this.archive.runQueuedFetched(payload.jobId, fetched, secret, context);
  }

  run(request: DicomWebImportRequest, onProgress?: ArchiveProgressListener): Promise<IngestJobView> {
    return this.start(request, onProgress).then(({ done }) => done);
  }

  /** The source configured (400 naming the configured ones), the secret found, the studies resolved. */
  private async check(request: DicomWebImportRequest): Promise<{ secret: string; studies: ResolvedStudy[] }> {
    this.dicomWeb.source(request.source);
    const secret = await this.archive.deidSecret();
    return { secret, studies: await this.resolveStudies(request) };
  }

  /**
   * The import of these studies as the archive importer runs it: identified by a keyed hash of (source,
   * dataset, the sorted UIDs), so a re-run of the same request, here or on a worker, is the same job.
   */
  private fetchedImport(source: string, dataset: string, secret: string, studies: ResolvedStudy[]): FetchedImport {
    const uids = sortedUids(studies);
    const fingerprint = createHmac('sha256', secret)
      .update(JSON.stringify(['dicomweb', source, dataset, uids]))
      .digest('hex');
    const listings: StudyListing[] = uids.map((uid) => ({
      uid,
      folder: cacheName(secret, 'study', source, uid),
      instances: studies.find((s) => s.uid === uid)?.instances ?? null,
    }));
    const root = this.config.dicomWeb.cacheDir;
    return {
      format: 'dicomweb',
      dataset,
      fingerprint,
      label: `DICOMweb ${source}: ${uids.length} ${uids.length === 1 ? 'study' : 'studies'}`,
      studiesFound: uids.length,
      root,
      fetch: (jobId, retrievedSoFar) => this.retrieve(jobId, source, secret, listings, retrievedSoFar),
      completed: async () => {
        if (this.config.dicomWeb.cacheKeep) return;
        for (const study of listings) await this.cache.removeStudy(root, study.folder);
      },
    };
  }

  /** The studies to import, checked before any job exists: 404 when none, 400 when a query finds too many. */
  private async resolveStudies(request: DicomWebImportRequest): Promise<ResolvedStudy[]> {
    if (request.studyInstanceUid !== undefined) {
      if (!isDicomUid(request.studyInstanceUid)) throw new BadRequestException('studyInstanceUid must be a DICOM UID (digits and dots, at most 64 characters)');
      const instances = await this.listInstances(request.source, request.studyInstanceUid);
      if (instances.length === 0) throw new NotFoundException(`study ${request.studyInstanceUid} not found on DICOMweb source "${request.source}"`);
      if (!instances.some((i) => !i.sopClassUid || !NON_IMAGE_CLASS.test(i.sopClassUid))) {
        throw new UnprocessableEntityException(
          `study ${request.studyInstanceUid} on DICOMweb source "${request.source}" has no images (only reports, presentation states or documents)`,
        );
      }
      return [{ uid: request.studyInstanceUid, instances }];
    }
    const query = request.query;
    if (!query || (query.patientId === undefined && query.studyDateFrom === undefined && query.studyDateTo === undefined)) {
      throw new BadRequestException('a dicomweb import needs studyInstanceUid, or a query with query.patientId or a study date range');
    }
    const found = await this.dicomWeb.searchStudies(request.source, { ...query, limit: MAX_QUERY_STUDIES + 1 });
    const uids = [...new Set(found.map((s) => firstString(s, '0020000D')).filter(isDicomUid))];
    if (uids.length > MAX_QUERY_STUDIES)
      throw new BadRequestException(
        `query matches more than ${MAX_QUERY_STUDIES} studies on DICOMweb source "${request.source}": narrow it (query.studyDateFrom, query.studyDateTo, query.modality)`,
      );
    if (uids.length === 0) throw new NotFoundException(`query matches no study on DICOMweb source "${request.source}"`);
    return uids.map((uid) => ({ uid, instances: null }));
  }

  private async listInstances(source: string, studyInstanceUid: string): Promise<NonNullable<StudyListing['instances']>> {
    const listed = await this.dicomWeb.searchInstances(source, { studyInstanceUid, limit: MAX_STUDY_INSTANCES }).catch((error) => {
      // A study the source does not know may be answered 404 as well as an empty list.
      if (error instanceof NotFoundException) return [] as DicomJson[];
      throw error;
    });
    return listed
      .map((item) => ({
        seriesInstanceUid: firstString(item, '0020000E'),
        sopInstanceUid: firstString(item, '00080018'),
        sopClassUid: firstString(item, '00080016') || null,
      }))
      .filter((i) => isDicomUid(i.seriesInstanceUid) && isDicomUid(i.sopInstanceUid));
  }

  /**
   * The job's first step: each study's instances into its cache folder, skipping those already there (a
   * resumed job fetches only what is missing), evicting the oldest other studies when the cache would
   * pass its bound. The folders to import.
   */
  private async retrieve(
    jobId: string,
    source: string,
    secret: string,
    studies: StudyListing[],
    retrievedSoFar: (n: number) => Promise<void>,
  ): Promise<string[]> {
    const root = this.config.dicomWeb.cacheDir;
    const inUse = new Set(studies.map((s) => s.folder));
    const cached = await this.cache.studies(root);
    const bytesOf = new Map(cached.map((s) => [s.name, s.bytes]));
    let retrieved = 0;
    let fetched = 0;
    for (const [index, study] of studies.entries()) {
      const which = studies.length === 1 ? 'the study' : `study ${index + 1} of ${studies.length}`;
      try {
        study.instances ??= await this.listInstances(source, study.uid);
        await this.cache.touch(root, study.folder);
        const have = await this.cache.instances(root, study.folder);
        for (const instance of study.instances) {
          const name = `${cacheName(secret, 'instance', instance.sopInstanceUid)}.dcm`;
          if (have.has(name)) continue;
          const bytes = await this.dicomWeb.retrieveInstance(source, { studyInstanceUid: study.uid, ...instance });
          const current = [...bytesOf].map(([name, bytes]) => ({ name, bytes, lastUsedMs: cached.find((c) => c.name === name)?.lastUsedMs ?? Date.now() }));
          const { evict, fits } = studiesToEvict(current, this.config.dicomWeb.cacheMaxBytes, bytes.length, inUse);
          if (!fits) throw new ArchiveSourceError(`the requested studies do not fit DICOMWEB_CACHE_MAX_BYTES (${this.config.dicomWeb.cacheMaxBytes} bytes)`);
          for (const name of evict) {
            await this.cache.removeStudy(root, name);
            bytesOf.delete(name);
          }
          await this.cache.writeInstance(root, study.folder, name, bytes);
          have.add(name);
          bytesOf.set(study.folder, (bytesOf.get(study.folder) ?? 0) + bytes.length);
          fetched++;
        }
      } catch (error) {
        throw new ArchiveSourceError(`${which} could not be retrieved: ${describe(error)}`);
      }
      retrieved++;
      await retrievedSoFar(retrieved);
    }
    this.logger.log(`DICOMweb import ${jobId}: ${retrieved} studies retrieved (${fetched} instances fetched, the rest already cached)`);
    return studies.map((s) => s.folder);
  }
}

function sortedUids(studies: ResolvedStudy[]): string[] {
  return [...new Set(studies.map((s) => s.uid))].sort();
}

/** An error as a job's reason, without UIDs (they identify the source's studies). */
function describe(error: unknown): string {
  if (error instanceof ArchiveSourceError) return error.message;
  if (error instanceof PayloadTooLargeException) return 'an instance is larger than DICOMWEB_MAX_RESPONSE_BYTES';
  if (error instanceof HttpException) return error.message.replace(/\b\d+(\.\d+){2,}\b/g, '(uid)');
  return 'an unexpected error';
}

function firstString(item: DicomJson, tag: string): string {
  const value = item?.[tag]?.Value?.[0];
  return typeof value === 'string' ? value : '';
}
