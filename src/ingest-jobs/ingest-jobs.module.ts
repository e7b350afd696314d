import { Module } from '@nestjs/common';
import { MlModule } from '../ml/ml.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { EmbeddingService } from './embedding.service';
import { EmbeddingsRepository } from './embeddings.repository';
import { IngestRepository } from './ingest.repository';

/**
 * What every importer shares: the job rows (progress, resume, errors), the lesion upserts and the embedding
 * of imported lesions. Below the importers (src/ingest for CSVs, src/archive for DICOM, src/pacs for DICOMweb),
 * so none of them imports another.
 */
@Module({
  imports: [MlModule, VectorIndexModule],
  providers: [IngestRepository, EmbeddingsRepository, EmbeddingService],
  exports: [IngestRepository, EmbeddingService],
})
export class IngestJobsModule {}
