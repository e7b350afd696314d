import { Module } from '@nestjs/common';
import { IngestJobsModule } from '../ingest-jobs/ingest-jobs.module';
import { DICOM_IMPORTER } from '../ingest-jobs/ingest.types';
import { LesionsModule } from '../lesions/lesions.module';
import { MlModule } from '../ml/ml.module';
import { TagsModule } from '../tags/tags.module';
import { ArchiveImportService } from './archive-import.service';
import { ArchiveRepository } from './archive.repository';

/** DICOM folder imports; `POST /admin/ingest` with format "dicom" reaches it through DICOM_IMPORTER. */
@Module({
  imports: [IngestJobsModule, MlModule, LesionsModule, TagsModule],
  providers: [ArchiveRepository, ArchiveImportService, { provide: DICOM_IMPORTER, useExisting: ArchiveImportService }],
  exports: [ArchiveImportService, DICOM_IMPORTER],
})
export class ArchiveModule {}
