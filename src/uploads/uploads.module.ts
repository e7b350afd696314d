import { Module } from '@nestjs/common';
import { MlModule } from '../ml/ml.module';
import { UploadDecoder } from './upload-decoder.service';

/** Decoding of uploaded slices on worker threads, shared by search by upload and detection. */
@Module({
  imports: [MlModule],
  providers: [UploadDecoder],
  exports: [UploadDecoder],
})
export class UploadsModule {}
