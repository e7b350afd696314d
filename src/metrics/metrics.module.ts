import { Module } from '@nestjs/common';
import { ChangeLogModule } from '../change-log/change-log.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({
  imports: [ChangeLogModule, VectorIndexModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
