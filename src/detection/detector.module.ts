import { Module } from '@nestjs/common';
import { UploadsModule } from '../uploads/uploads.module';
import { SLICE_DETECTOR } from '../evaluation/slice-detector.port';
import { DetectorRepository } from './detector.repository';
import { DetectorService } from './detector.service';

/** The detector alone (model, preparation, adapters): used by the HTTP feature and by evaluation. */
@Module({
  imports: [UploadsModule],
  providers: [DetectorRepository, DetectorService, { provide: SLICE_DETECTOR, useExisting: DetectorService }],
  exports: [DetectorService, SLICE_DETECTOR],
})
export class DetectorModule {}
