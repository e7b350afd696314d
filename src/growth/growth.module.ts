import { Module } from '@nestjs/common';
import { SearchModule } from '../search/search.module';
import { GrowthController } from './growth.controller';
import { GrowthRepository } from './growth.repository';
import { GrowthService } from './growth.service';

@Module({
  imports: [SearchModule],
  controllers: [GrowthController],
  providers: [GrowthRepository, GrowthService],
  exports: [GrowthService, GrowthRepository],
})
export class GrowthModule {}
