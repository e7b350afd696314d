import { DynamicModule, Module, Type } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { MlModule } from '../ml/ml.module';
import { DetectionEvalService } from './detection-eval.service';
import { RetrievalEvalService } from './retrieval-eval.service';

/**
 * Evaluation runs from files with the encoder alone: no database, no HTTP. `detector`: a module that
 * provides and exports SLICE_DETECTOR (src/detection's DetectorModule), chosen by the caller.
 */
@Module({})
export class EvaluationModule {
  static standalone(config: AppConfig, detector: Type | DynamicModule): DynamicModule {
    return {
      module: EvaluationModule,
      imports: [ConfigModule.forRoot(config), MlModule, detector],
      providers: [RetrievalEvalService, DetectionEvalService],
      exports: [RetrievalEvalService, DetectionEvalService],
    };
  }
}
