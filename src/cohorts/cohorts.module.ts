import { Module } from '@nestjs/common';
import { GrowthModule } from '../growth/growth.module';
import { LesionsModule } from '../lesions/lesions.module';
import { MlModule } from '../ml/ml.module';
import { TagsModule } from '../tags/tags.module';
import { CohortsController } from './cohorts.controller';
import { CohortsRepository } from './cohorts.repository';
import { CohortsService } from './cohorts.service';

/** Saved, versioned cohort definitions: counts, members, streamed export. */
@Module({
  imports: [LesionsModule, TagsModule, MlModule, GrowthModule],
  controllers: [CohortsController],
  providers: [CohortsRepository, CohortsService],
})
export class CohortsModule {}
