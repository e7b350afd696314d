import { BadRequestException, Body, Header, HttpCode, Post, Res, StreamableFile, UploadedFile } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { ApiConsumes, ApiOperation, ApiProduces } from '@nestjs/swagger';
import { AcceptsUploads } from '../common/multipart-uploads';
import { SliceEncodingDto } from '../common/slice-encoding.dto';
import { UploadDecoder } from './upload-decoder.service';
import { KeyedController } from '../auth/auth.decorators';

@KeyedController('uploads', 'uploads')
export class UploadPreviewController {
  constructor(private readonly decoder: UploadDecoder) {}

  @Post('preview')
  @HttpCode(200)
  @AcceptsUploads({ name: 'file', maxCount: 1 })
  @ApiConsumes('multipart/form-data')
  @ApiProduces('image/png')
  @Header('Content-Type', 'image/png')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      "An uploaded slice (file: DICOM of any transfer syntax, DeepLesion 16-bit PNG, or 8-bit PNG/JPEG with huWindow) as the server decodes it: a 16-bit PNG of HU + 32768, with the file's pixel spacing in X-Pixel-Spacing-Mm",
  })
  async preview(@Body() body: SliceEncodingDto, @Res({ passthrough: true }) reply: FastifyReply, @UploadedFile() file?: { buffer: Buffer }) {
    if (!file) throw new BadRequestException('file is required (multipart field "file")');
    const { png, spacingMm } = await this.decoder.preview(file.buffer, body);
    if (spacingMm !== null) reply.header('X-Pixel-Spacing-Mm', String(spacingMm));
    return new StreamableFile(png);
  }
}
