import { Global, Module } from '@nestjs/common';
import { DicomWebModule } from '../dicomweb/dicomweb.module';
import { LesionsModule } from '../lesions/lesions.module';
import { SIMILAR_LESIONS } from '../lesions/similar-lesions.port';
import { MlModule } from '../ml/ml.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { TagsModule } from '../tags/tags.module';
import { UploadsModule } from '../uploads/uploads.module';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';
import { FeedbackRepository } from './feedback.repository';
import { FeedbackService } from './feedback.service';
import { FeedbackTokens } from './feedback-tokens';

/**
 * Global, and exporting only the SIMILAR_LESIONS port: growth, cohorts, reporting and detection inject
 * it without importing this module (nothing below the app module may import src/search).
 */
@Global()
@Module({
  imports: [LesionsModule, MlModule, VectorIndexModule, TagsModule, UploadsModule, DicomWebModule],
  controllers: [SearchController],
  providers: [SearchService, FeedbackService, FeedbackRepository, FeedbackTokens, { provide: SIMILAR_LESIONS, useExisting: SearchService }],
  exports: [SIMILAR_LESIONS],
})
export class SearchModule {}
