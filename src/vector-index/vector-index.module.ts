import { Module } from '@nestjs/common';
import { ChangeLogModule } from '../change-log/change-log.module';
import { MlModule } from '../ml/ml.module';
import { HnswRepository } from './hnsw.repository';
import { IndexStoreRepository } from './index-store.repository';
import { VectorIndexService } from './vector-index.service';

@Module({
  imports: [MlModule, ChangeLogModule],
  providers: [HnswRepository, IndexStoreRepository, VectorIndexService],
  exports: [VectorIndexService],
})
export class VectorIndexModule {}
