import { Module } from '@nestjs/common';
import { ChangeLogModule } from '../change-log/change-log.module';
import { EmbeddingsRepository } from '../ingest-jobs/embeddings.repository';
import { IngestJobsModule } from '../ingest-jobs/ingest-jobs.module';
import { MlModule } from '../ml/ml.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { ModelRegistryRepository } from './model-registry.repository';
import { ModelsController } from './models.controller';
import { ModelsService } from './models.service';

/** The encoder model registry: registering, embedding the archive with, and switching between models. */
@Module({
  imports: [MlModule, VectorIndexModule, ChangeLogModule, IngestJobsModule],
  controllers: [ModelsController],
  providers: [ModelRegistryRepository, EmbeddingsRepository, ModelsService],
  exports: [ModelsService],
})
export class ModelsModule {}
