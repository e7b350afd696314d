import { Module } from '@nestjs/common';
import { MlModule } from '../ml/ml.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { EmbeddingService } from './embedding.service';
import { EmbeddingsRepository } from './embeddings.repository';
import { LesionsModule } from '../lesions/lesions.module';
import { TagsModule } from '../tags/tags.module';
import { ArchiveController } from './archive.controller';
import { ArchiveService } from './archive.service';
import { IngestController } from './ingest.controller';
import { IngestRepository } from './ingest.repository';
import { IngestService } from './ingest.service';

@Module({
  imports: [MlModule, VectorIndexModule, LesionsModule, TagsModule],
  controllers: [IngestController, ArchiveController],
  providers: [IngestRepository, IngestService, EmbeddingsRepository, EmbeddingService, ArchiveService],
  exports: [IngestService, EmbeddingService, IngestRepository],
})
export class IngestModule {}
