import { Module } from '@nestjs/common';
import { DicomWebModule } from '../dicomweb/dicomweb.module';
import { LesionsModule } from '../lesions/lesions.module';
import { MlModule } from '../ml/ml.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { TagsModule } from '../tags/tags.module';
import { UploadsModule } from '../uploads/uploads.module';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';
import { FeedbackRepository } from './feedback.repository';
import { FeedbackService } from './feedback.service';
import { FeedbackTokens } from './feedback-tokens';

@Module({
  imports: [LesionsModule, MlModule, VectorIndexModule, TagsModule, UploadsModule, DicomWebModule],
  controllers: [SearchController],
  providers: [SearchService, FeedbackService, FeedbackRepository, FeedbackTokens],
  exports: [SearchService],
})
export class SearchModule {}
