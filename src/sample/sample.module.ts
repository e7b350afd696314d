import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest/ingest.module';
import { TagsModule } from '../tags/tags.module';
import { SampleDatasetRepository } from './sample-dataset.repository';
import { SampleService } from './sample.service';

@Module({
  imports: [IngestModule, TagsModule],
  providers: [SampleDatasetRepository, SampleService],
  exports: [SampleService],
})
export class SampleModule {}
