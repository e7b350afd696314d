import { Module } from '@nestjs/common';
import { DicomWebModule } from '../dicomweb/dicomweb.module';
import { GrowthModule } from '../growth/growth.module';
import { LesionsModule } from '../lesions/lesions.module';
import { MlModule } from '../ml/ml.module';
import { ReportingController } from './reporting.controller';
import { ReportingService } from './reporting.service';

/**
 * Answers a reporting system can file: DICOM SR (TID 1500) and FHIR R4, and STOW-RS of the SR. Similar
 * cases and point to box come through the SIMILAR_LESIONS and POINT_TO_BOX ports (bound app-wide).
 */
@Module({
  imports: [LesionsModule, GrowthModule, MlModule, DicomWebModule],
  controllers: [ReportingController],
  providers: [ReportingService],
})
export class ReportingModule {}
