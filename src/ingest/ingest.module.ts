import { Module } from '@nestjs/common';
import { IngestJobsModule } from '../ingest-jobs/ingest-jobs.module';
import { CSV_IMPORTER } from '../ingest-jobs/ingest.types';
import { LesionsModule } from '../lesions/lesions.module';
import { TagsModule } from '../tags/tags.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { ArchiveController } from './archive.controller';
import { ArchiveService } from './archive.service';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';

@Module({
  imports: [IngestJobsModule, LesionsModule, TagsModule, VectorIndexModule],
  controllers: [IngestController, ArchiveController],
  providers: [IngestService, ArchiveService, { provide: CSV_IMPORTER, useExisting: IngestService }],
  exports: [IngestService, CSV_IMPORTER],
})
export class IngestModule {}
