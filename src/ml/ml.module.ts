import { Module } from '@nestjs/common';
import { EncoderRepository } from './encoder.repository';
import { EncoderService } from './encoder.service';

@Module({
  providers: [EncoderRepository, EncoderService],
  exports: [EncoderService],
})
export class MlModule {}
