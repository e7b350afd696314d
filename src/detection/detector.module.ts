import { Module } from '@nestjs/common';
import { DetectorRepository } from './detector.repository';
import { DetectorService } from './detector.service';

/** The detector alone (model, preparation, adapters): used by the HTTP feature and by evaluation. */
@Module({
  providers: [DetectorRepository, DetectorService],
  exports: [DetectorService],
})
export class DetectorModule {}
