import { Module } from '@nestjs/common';
import { ChangeLogModule } from '../change-log/change-log.module';
import { TagsModule } from '../tags/tags.module';
import { LesionsController } from './lesions.controller';
import { LesionsRepository } from './lesions.repository';
import { LesionsService } from './lesions.service';

import { LesionScopeRepository } from './lesion-scope.repository';

@Module({
  imports: [TagsModule, ChangeLogModule],
  controllers: [LesionsController],
  providers: [LesionsRepository, LesionsService, LesionScopeRepository],
  exports: [LesionsService, LesionScopeRepository],
})
export class LesionsModule {}
