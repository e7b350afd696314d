import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { MlModule } from '../ml/ml.module';
import { DetectorModule } from '../detection/detector.module';
import { DetectionEvalService } from './detection-eval.service';
import { RetrievalEvalService } from './retrieval-eval.service';

/** Evaluation runs from files with the encoder alone: no database, no HTTP. */
@Module({})
export class EvaluationModule {
  static standalone(config: AppConfig): DynamicModule {
    return { module: EvaluationModule, imports: [ConfigModule.forRoot(config), MlModule, DetectorModule], providers: [RetrievalEvalService, DetectionEvalService], exports: [RetrievalEvalService, DetectionEvalService] };
  }
}
