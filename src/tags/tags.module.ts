import { Module } from '@nestjs/common';
import { ChangeLogModule } from '../change-log/change-log.module';
import { MlModule } from '../ml/ml.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { LesionTagsRepository } from './lesion-tags.repository';
import { LesionTagsService } from './lesion-tags.service';
import { TagPredictionService } from './prediction/tag-prediction.service';
import { TagQueryService } from './query/tag-query.service';
import { LesionTagsController, TagsAdminController, VocabularyController } from './tags.controller';
import { TagsAdminService } from './tags-admin.service';
import { VocabularyRepository } from './vocabulary.repository';
import { VocabularyService } from './vocabulary.service';

/** Vocabulary, lesion tags, the tag query language, report mining and tag prediction. */
@Module({
  imports: [MlModule, VectorIndexModule, ChangeLogModule],
  controllers: [VocabularyController, LesionTagsController, TagsAdminController],
  providers: [VocabularyRepository, LesionTagsRepository, VocabularyService, LesionTagsService, TagQueryService, TagPredictionService, TagsAdminService],
  exports: [VocabularyService, LesionTagsService, TagQueryService, TagPredictionService],
})
export class TagsModule {}
