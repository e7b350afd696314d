import { BadRequestException } from '@nestjs/common';
import { toErrorBody } from '../common/http-exception.filter';
import { InputError } from '../common/input-error';
import { ImageFormatError } from '../imaging/hu-image';
import { AppConfig } from '../config/app-config';
import { EncoderService } from '../ml/encoder.service';
import { flatGreyJpeg } from '../../test/helpers/big-jpeg';
import { parseHuWindow, UploadDecoder } from './upload-decoder.service';

describe('parseHuWindow', () => {
  it('reads "low,high"', () => {
    expect(parseHuWindow('-1024,3071')).toEqual({ low: -1024, high: 3071 });
    expect(parseHuWindow(undefined)).toBeNull();
  });

  it('refuses windows that are empty, reversed or beyond any HU range', () => {
    expect(() => parseHuWindow('40,40')).toThrow(/high > low/);
    expect(() => parseHuWindow('100,-100')).toThrow(BadRequestException);
    expect(() => parseHuWindow(`-1,${'9'.repeat(400)}`)).toThrow(/within ±100000 HU/);
    expect(() => parseHuWindow('-200000,100')).toThrow(/within ±100000 HU/);
  });
});

describe('image errors from the decode workers', () => {
  it('keep their status and message through the exception filter', () => {
    expect(toErrorBody(new ImageFormatError('the slice: unusable DICOM header: PixelSpacing (0028,0030) 0.001\\0.001 is outside 0.05 to 10 mm'))).toEqual({
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: 'the slice: unusable DICOM header: PixelSpacing (0028,0030) 0.001\\0.001 is outside 0.05 to 10 mm',
    });
    expect(toErrorBody(new ImageFormatError('DICOM transfer syntax 1.2.840.10008.1.2.4.50 is not supported', 415)).statusCode).toBe(415);
  });
});

describe('UploadDecoder.decodeSlices', () => {
  const config = { uploads: { maxImagePixels: 16_000_000 } } as unknown as AppConfig;
  // No onModuleInit: the decoder has no worker pools, so only a refusal made before queueing can answer.
  const decoder = new UploadDecoder(config, {} as EncoderService);

  it('refuses a PNG/JPEG over the caller’s pixel budget from its header, before any decode queue', async () => {
    const over = decoder.decodeSlices([{ bytes: flatGreyJpeg(3500, 3500), what: 'the slice' }], {}, 2048 * 2048);
    // The same error type and status as a refusal from a decode worker: the exception filter maps it to 422.
    await expect(over).rejects.toThrow(InputError);
    await expect(over).rejects.toMatchObject({ status: 422 });
    await expect(over).rejects.toThrow(/^the slice: the image is 3500x3500 \(12\.3 Mpx\), over the limit of 4\.2 Mpx per image$/);
    const neighbour = decoder.decodeSlices(
      [
        { bytes: flatGreyJpeg(64, 64), what: 'the slice' },
        { bytes: flatGreyJpeg(4096, 4096), what: 'the neighbouring slice at 5 mm' },
      ],
      {},
    );
    await expect(neighbour).rejects.toThrow(/^the neighbouring slice at 5 mm: the image is 4096x4096 .* over the limit of 16\.0 Mpx/);
  });
});
