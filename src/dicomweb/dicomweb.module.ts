import { Module } from '@nestjs/common';
import { LesionsModule } from '../lesions/lesions.module';
import { DicomWebRepository } from './dicomweb.repository';
import { DicomWebService } from './dicomweb.service';
import { DeidModule } from '../deid/deid.module';
import { DeidPriorLesionFinder } from '../deid/deid-prior-lesion-finder';
import { PRIOR_LESION_FINDER } from './prior-lesion-finder.port';
import { ReferencedSliceService } from './referenced-slice.service';

/** The DICOMweb client (QIDO/WADO/STOW against DICOMWEB_SOURCES) and queries by reference. */
@Module({
  imports: [LesionsModule, DeidModule],
  providers: [
    DicomWebRepository,
    DicomWebService,
    ReferencedSliceService,
    // The same patient's priors through the de-identification mapping (src/deid).
    { provide: PRIOR_LESION_FINDER, useExisting: DeidPriorLesionFinder },
  ],
  exports: [DicomWebService, ReferencedSliceService],
})
export class DicomWebModule {}
