import { Module } from '@nestjs/common';
import { GrowthEvalService } from './growth-eval.service';
import { GrowthController } from './growth.controller';
import { GrowthRepository } from './growth.repository';
import { GrowthService } from './growth.service';

@Module({
  controllers: [GrowthController],
  providers: [GrowthRepository, GrowthService, GrowthEvalService],
  exports: [GrowthService, GrowthRepository],
})
export class GrowthModule {}
