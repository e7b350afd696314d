import { Module } from '@nestjs/common';
import { DicomWebModule } from '../dicomweb/dicomweb.module';
import { MlModule } from '../ml/ml.module';
import { SearchModule } from '../search/search.module';
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

@Module({
  imports: [
    DetectorModule,
    MlModule,
    SearchModule,
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
  ],
  exports: [DetectionService],
})
export class DetectionModule {}
