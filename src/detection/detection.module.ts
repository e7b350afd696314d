import { Global, Module } from '@nestjs/common';
import { DicomWebModule } from '../dicomweb/dicomweb.module';
import { MlModule } from '../ml/ml.module';
import { POINT_TO_BOX } from '../reporting/point-to-box.port';
import { TagPredictionService } from '../tags/prediction/tag-prediction.service';
import { TagsModule } from '../tags/tags.module';
import { UploadsModule } from '../uploads/uploads.module';
import { DetectionController } from './detection.controller';
import { DetectionService } from './detection.service';
import { DetectionJobsService } from './detection-jobs.service';
import { DetectorModule } from './detector.module';
import { SeriesFilesRepository } from './series-files.repository';
import { DetectionJobsRepository } from './detection-jobs.repository';
import { TAG_PREDICTOR } from './tag-predictor.port';

/**
 * Global, and exporting only the POINT_TO_BOX port: reporting injects it without importing this module
 * (nothing below the app module may import src/detection). Similar lesions come from SIMILAR_LESIONS.
 */
@Global()
@Module({
  imports: [
    DetectorModule,
    MlModule,
    TagsModule,
    UploadsModule,
    DicomWebModule,
    // Uploads stay in memory, bounded by MAX_UPLOAD_BYTES per file (larger ones get 413).
  ],
  controllers: [DetectionController],
  // Predicted tags for each box come from the tags feature, through the port detection defines.
  providers: [
    DetectionService,
    DetectionJobsService,
    SeriesFilesRepository,
    DetectionJobsRepository,
    { provide: TAG_PREDICTOR, useExisting: TagPredictionService },
    { provide: POINT_TO_BOX, useExisting: DetectionService },
  ],
  exports: [POINT_TO_BOX],
})
export class DetectionModule {}
