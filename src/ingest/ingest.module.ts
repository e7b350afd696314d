import { Module } from '@nestjs/common';
import { IngestController } from './ingest.controller';
import { IngestRepository } from './ingest.repository';
import { IngestService } from './ingest.service';

@Module({
  controllers: [IngestController],
  providers: [IngestRepository, IngestService],
  exports: [IngestService],
})
export class IngestModule {}
