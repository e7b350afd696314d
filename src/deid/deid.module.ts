import { Module } from '@nestjs/common';
import { DeidPriorLesionFinder, PRIOR_LESION_STORE } from './deid-prior-lesion-finder';
import { PriorLesionsRepository } from './prior-lesions.repository';

/** The de-identification mapping's read side: the same patient's archived lesions for queries by reference. */
@Module({
  providers: [PriorLesionsRepository, { provide: PRIOR_LESION_STORE, useExisting: PriorLesionsRepository }, DeidPriorLesionFinder],
  exports: [DeidPriorLesionFinder],
})
export class DeidModule {}
