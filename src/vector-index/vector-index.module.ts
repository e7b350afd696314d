import { Module } from '@nestjs/common';
import { MlModule } from '../ml/ml.module';
import { HnswRepository } from './hnsw.repository';
import { IndexStoreRepository } from './index-store.repository';
import { VectorIndexService } from './vector-index.service';

@Module({
  imports: [MlModule],
  providers: [HnswRepository, IndexStoreRepository, VectorIndexService],
  exports: [VectorIndexService],
})
export class VectorIndexModule {}
