import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { MulterError } from 'multer';
import { uploadError } from './slice-upload.middleware';

describe('uploadError', () => {
  it('maps a file over the size limit to 413 and other multer errors to 400 naming the field', () => {
    expect(uploadError(new MulterError('LIMIT_FILE_SIZE', 'file'))).toBeInstanceOf(PayloadTooLargeException);
    const unexpected = uploadError(new MulterError('LIMIT_UNEXPECTED_FILE', 'image'));
    expect(unexpected).toBeInstanceOf(BadRequestException);
    expect(unexpected.message).toMatch(/field "image"/);
  });

  it('maps a malformed multipart body to 400', () => {
    const error = uploadError(new Error('Unexpected end of form'));
    expect(error.getStatus()).toBe(400);
    expect(error.message).toMatch(/Unexpected end of form/);
  });
});
