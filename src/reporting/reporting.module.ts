import { Module } from '@nestjs/common';
import { DetectionModule } from '../detection/detection.module';
import { DicomWebModule } from '../dicomweb/dicomweb.module';
import { GrowthModule } from '../growth/growth.module';
import { LesionsModule } from '../lesions/lesions.module';
import { MlModule } from '../ml/ml.module';
import { SearchModule } from '../search/search.module';
import { ReportingController } from './reporting.controller';
import { ReportingService } from './reporting.service';

/** Answers a reporting system can file: DICOM SR (TID 1500) and FHIR R4, and STOW-RS of the SR. */
@Module({
  imports: [LesionsModule, SearchModule, GrowthModule, MlModule, DetectionModule, DicomWebModule],
  controllers: [ReportingController],
  providers: [ReportingService],
})
export class ReportingModule {}
