import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { SliceUploadMiddleware } from '../common/slice-upload.middleware';
import { LesionsModule } from '../lesions/lesions.module';
import { MlModule } from '../ml/ml.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { TagsModule } from '../tags/tags.module';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

@Module({
  imports: [
    LesionsModule,
    MlModule,
    VectorIndexModule,
    TagsModule,
  ],
  controllers: [SearchController],
  providers: [SearchService],
  exports: [SearchService],
})
export class SearchModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Uploads stay in memory, bounded by MAX_UPLOAD_BYTES (larger bodies get 413).
    consumer.apply(SliceUploadMiddleware).forRoutes({ path: 'search/similar', method: RequestMethod.POST });
  }
}
