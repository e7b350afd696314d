import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { CsvFormat } from '../deeplesion/read-records';

/** The CSV formats, a DICOM folder, a PACS (DICOMweb). */
export type IngestFormat = CsvFormat | 'dicom' | 'dicomweb';
/** queued: waiting for a worker (REDIS_URL set); interrupted: cut off by a stop, resumed by a re-run. */
export type IngestJobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'interrupted';

export interface IngestRowError {
  /** CSV line; 0 for a DICOM import's file problems. */
  line: number;
  /**
   * DICOM imports: the file as a keyed reference of its path relative to the imported folder (`key:…`, see
   * filePathKey; paths can identify patients), or `annotations` / `annotations line N` for the CSV.
   */
  file?: string;
  /** DICOM imports: the file's 1-based position among the folder's files in path order (absent for entries that were not read). */
  fileOrdinal?: number;
  message: string;
}

/** One import run. `cursor` is the number of data rows committed, so a re-run resumes after them. */
@Entity('ingest_job')
export class IngestJobEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') format: IngestFormat;
  @Column('text') dataset: string;
  @Column('text', { name: 'csv_path' }) csvPath: string;
  @Column('text', { name: 'images_dir' }) imagesDir: string;
  /** sha256 of the CSV bytes plus the options that change its meaning; a resume needs the same one. */
  @Column('text') fingerprint: string;
  @Column('text') status: IngestJobStatus;
  @Column('int', { name: 'total_rows' }) totalRows: number;
  @Column('int') cursor: number;
  @Column('int', { name: 'imported_rows' }) importedRows: number;
  @Column('int', { name: 'skipped_rows' }) skippedRows: number;
  /** Imported lesions whose embedding was computed during the import. */
  @Column('int', { name: 'embedded_rows' }) embeddedRows: number;
  /** DICOM imports: files walked (and their headers read); rows are series there. */
  @Column('int', { name: 'files_walked', default: 0 }) filesWalked: number;
  /** PACS imports: studies the request found, retrieved into the cache, and imported (set on completion). */
  @Column('int', { name: 'studies_found', nullable: true }) studiesFound?: number | null;
  @Column('int', { name: 'studies_retrieved', nullable: true }) studiesRetrieved?: number | null;
  @Column('int', { name: 'studies_imported', nullable: true }) studiesImported?: number | null;
  @Column('jsonb', { default: () => "'[]'" }) errors: IngestRowError[];
  @Column('text', { nullable: true }) message: string | null;
  @Column('timestamptz', { name: 'started_at' }) startedAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt: Date | null;
}
