import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MlModule } from '../ml/ml.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), MlModule, VectorIndexModule],
  controllers: [HealthController],
})
export class HealthModule {}
