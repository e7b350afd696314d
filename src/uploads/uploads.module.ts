import { Module } from '@nestjs/common';
import { MlModule } from '../ml/ml.module';
import { UploadDecoder } from './upload-decoder.service';
import { UploadPreviewController } from './upload-preview.controller';

/** Decoding of uploaded slices on worker threads, shared by search by upload and detection. */
@Module({
  imports: [MlModule],
  controllers: [UploadPreviewController],
  providers: [UploadDecoder],
  exports: [UploadDecoder],
})
export class UploadsModule {}
