import { Module } from '@nestjs/common';
import { TagsModule } from '../tags/tags.module';
import { LesionsController } from './lesions.controller';
import { LesionsRepository } from './lesions.repository';
import { LesionsService } from './lesions.service';

@Module({
  imports: [TagsModule],
  controllers: [LesionsController],
  providers: [LesionsRepository, LesionsService],
  exports: [LesionsService],
})
export class LesionsModule {}
