import { Module } from '@nestjs/common';
import { LesionsController } from './lesions.controller';
import { LesionsRepository } from './lesions.repository';
import { LesionsService } from './lesions.service';

@Module({
  controllers: [LesionsController],
  providers: [LesionsRepository, LesionsService],
  exports: [LesionsService],
})
export class LesionsModule {}
