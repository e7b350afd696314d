import { Module } from '@nestjs/common';
import { MlModule } from '../ml/ml.module';
import { EmbeddingService } from './embedding.service';
import { EmbeddingsRepository } from './embeddings.repository';
import { IngestController } from './ingest.controller';
import { IngestRepository } from './ingest.repository';
import { IngestService } from './ingest.service';

@Module({
  imports: [MlModule],
  controllers: [IngestController],
  providers: [IngestRepository, IngestService, EmbeddingsRepository, EmbeddingService],
  exports: [IngestService, EmbeddingService],
})
export class IngestModule {}
