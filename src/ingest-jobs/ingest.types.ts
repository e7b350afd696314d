import { HuWindow } from '../imaging/hu-image';
import { IngestFormat, IngestJobEntity, IngestJobStatus, IngestRowError } from './ingest-job.entity';

export interface IngestRequest {
  format: IngestFormat;
  csvPath: string;
  imagesDir: string;
  /** Namespace of the patient indexes (DeepLesion, a hospital archive, the synthetic sample). */
  dataset: string;
  /** For 8-bit images: the HU range their 0..255 grey levels stand for. */
  huWindow?: HuWindow;
  /**
   * 'api' (the default): the paths came with an HTTP request and must lie under INGEST_ROOTS.
   * 'operator': given on the command line or in the configuration by whoever runs the service; any path
   * the process can read (still only a regular file and a folder, within the size bounds).
   */
  pathsFrom?: 'api' | 'operator';
}

export interface IngestJobView {
  id: string;
  status: IngestJobStatus;
  format: IngestFormat;
  dataset: string;
  source: string;
  totalRows: number;
  processedRows: number;
  importedRows: number;
  skippedRows: number;
  embeddedRows: number;
  /** DICOM imports: files walked so far (rows are series, imported rows lesions). */
  filesWalked: number;
  /** PACS imports only: studies found by the request, retrieved into the cache, imported. */
  studies?: { found: number; retrieved: number; imported: number };
  /** Rows per second since the job started (or resumed). */
  rowsPerSecond: number;
  percent: number;
  errors: IngestRowError[];
  message: string | null;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export function toJobView(job: IngestJobEntity): IngestJobView {
  const seconds = Math.max((job.updatedAt.getTime() - job.startedAt.getTime()) / 1000, 1e-3);
  return {
    id: job.id,
    status: job.status,
    format: job.format,
    dataset: job.dataset,
    // The file name only: responses never carry server paths.
    source: job.csvPath.split(/[\\/]/).pop() ?? '',
    totalRows: job.totalRows,
    processedRows: job.cursor,
    importedRows: job.importedRows,
    skippedRows: job.skippedRows,
    embeddedRows: job.embeddedRows,
    filesWalked: job.filesWalked ?? 0,
    ...(job.format === 'dicomweb'
      ? { studies: { found: job.studiesFound ?? 0, retrieved: job.studiesRetrieved ?? 0, imported: job.studiesImported ?? 0 } }
      : {}),
    rowsPerSecond: Math.round((job.cursor / seconds) * 10) / 10,
    percent: job.totalRows ? Math.round((job.cursor / job.totalRows) * 1000) / 10 : 100,
    errors: job.errors,
    message: job.message,
    startedAt: job.startedAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt,
  };
}

/**
 * The DICOM folder importer (src/archive), reached by the ingest route without ingest importing it:
 * archive is built on these jobs and embeddings (src/ingest-jobs), below both.
 */
export const DICOM_IMPORTER = Symbol('DICOM_IMPORTER');

export interface DicomImporter {
  /** Starts here without a shared queue; with one, queues the job for a worker (status 'queued'). */
  submit(request: { dir: string; annotations?: string; dataset: string; pathsFrom: 'api' | 'operator' }): Promise<{ job: IngestJobView }>;
}

/** A dicomweb query may find at most this many studies (src/pacs refuses more). */
export const MAX_QUERY_STUDIES = 100;

/** The PACS importer (src/pacs), reached by the ingest route as DICOM_IMPORTER is. */
export const DICOMWEB_IMPORTER = Symbol('DICOMWEB_IMPORTER');

export interface DicomWebImportRequest {
  source: string;
  dataset: string;
  /** One study by UID, or the studies a QIDO query finds. */
  studyInstanceUid?: string;
  query?: { patientId?: string; studyDateFrom?: string; studyDateTo?: string; modality?: string };
}

export interface DicomWebImporter {
  start(request: DicomWebImportRequest): Promise<{ job: IngestJobView }>;
}

/**
 * The CSV importer (src/ingest), reached by the sample (src/sample) to import the archive it generates
 * without importing src/ingest: the sample sits below the importers.
 */
export const CSV_IMPORTER = Symbol('CSV_IMPORTER');

export interface CsvImporter {
  /** Imports unless this exact source was imported before (then `alreadyDone`, and the earlier job). */
  runUnlessDone(request: IngestRequest): Promise<{ job: IngestJobView; alreadyDone: boolean }>;
}

/**
 * A job's message when it stopped on an error that is not the source's (a database outage, a bug): the details are in the
 * service log only; the rows are keyed on their natural ids, so running the import again repeats no row.
 */
export const INTERNAL_IMPORT_ERROR =
  'the import stopped on an internal error (see the service log); run it again: a new job re-reads the source, and rows already imported are updated in place, not duplicated';
