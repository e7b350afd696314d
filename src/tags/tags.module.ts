import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MlModule } from '../ml/ml.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { LesionTagsRepository } from './lesion-tags.repository';
import { LesionTagsService } from './lesion-tags.service';
import { TagPredictionService } from './tag-prediction.service';
import { TagQueryService } from './tag-query.service';
import { LesionTagsController, TagsAdminController, VocabularyController } from './tags.controller';
import { TagsAdminService } from './tags-admin.service';
import { VocabularyRepository } from './vocabulary.repository';
import { VocabularyService } from './vocabulary.service';

/** Vocabulary, lesion tags, the tag query language, report mining and tag prediction. */
@Module({
  imports: [
    MlModule,
    VectorIndexModule,
    MulterModule.registerAsync({ inject: [APP_CONFIG], useFactory: (config: AppConfig) => ({ limits: { fileSize: config.maxUploadBytes, files: 1, fields: 10 } }) }),
  ],
  controllers: [VocabularyController, LesionTagsController, TagsAdminController],
  providers: [VocabularyRepository, LesionTagsRepository, VocabularyService, LesionTagsService, TagQueryService, TagPredictionService, TagsAdminService],
  exports: [VocabularyService, LesionTagsService, TagQueryService, TagPredictionService],
})
export class TagsModule {}
