import { Module } from '@nestjs/common';
import { LesionsModule } from '../lesions/lesions.module';
import { DicomWebRepository } from './dicomweb.repository';
import { DicomWebService } from './dicomweb.service';
import { NoPriorLesionFinder, PRIOR_LESION_FINDER } from './prior-lesion-finder.port';
import { ReferencedSliceService } from './referenced-slice.service';

/** The DICOMweb client (QIDO/WADO/STOW against DICOMWEB_SOURCES) and queries by reference. */
@Module({
  imports: [LesionsModule],
  providers: [
    DicomWebRepository,
    DicomWebService,
    ReferencedSliceService,
    // TODO(issue 18): bind the src/deid-backed finder here when src/deid lands.
    { provide: PRIOR_LESION_FINDER, useClass: NoPriorLesionFinder },
  ],
  exports: [DicomWebService, ReferencedSliceService],
})
export class DicomWebModule {}
