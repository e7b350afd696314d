import { BadRequestException } from '@nestjs/common';
import { toErrorBody } from '../common/http-exception.filter';
import { ImageFormatError } from '../imaging/hu-image';
import { parseHuWindow } from './upload-decoder.service';

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
