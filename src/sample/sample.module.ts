import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest/ingest.module';
import { SampleDatasetRepository } from './sample-dataset.repository';
import { SampleService } from './sample.service';

@Module({
  imports: [IngestModule],
  providers: [SampleDatasetRepository, SampleService],
  exports: [SampleService],
})
export class SampleModule {}
