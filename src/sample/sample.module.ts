import { Module } from '@nestjs/common';
import { GrowthModule } from '../growth/growth.module';
import { TagsModule } from '../tags/tags.module';
import { SampleDatasetRepository } from './sample-dataset.repository';
import { SampleService } from './sample.service';

@Module({
  imports: [TagsModule, GrowthModule],
  providers: [SampleDatasetRepository, SampleService],
  exports: [SampleService],
})
export class SampleModule {}
