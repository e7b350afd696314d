import { Module } from '@nestjs/common';
import { ArchiveModule } from '../archive/archive.module';
import { DicomWebModule } from '../dicomweb/dicomweb.module';
import { DICOMWEB_IMPORTER } from '../ingest-jobs/ingest.types';
import { PacsCacheRepository } from './pacs-cache.repository';
import { PacsImportService } from './pacs-import.service';

/** PACS imports: `POST /admin/ingest` with format "dicomweb" reaches it through DICOMWEB_IMPORTER. */
@Module({
  imports: [ArchiveModule, DicomWebModule],
  providers: [PacsCacheRepository, PacsImportService, { provide: DICOMWEB_IMPORTER, useExisting: PacsImportService }],
  exports: [PacsImportService, DICOMWEB_IMPORTER],
})
export class PacsModule {}
