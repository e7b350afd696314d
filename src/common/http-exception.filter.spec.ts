import { BadRequestException, NotFoundException } from '@nestjs/common';
import { toErrorBody } from './http-exception.filter';

describe('toErrorBody', () => {
  it('keeps client error messages', () => {
    expect(toErrorBody(new NotFoundException('Lesion 5 not found'))).toEqual({ statusCode: 404, error: 'Not Found', message: 'Lesion 5 not found' });
    expect(toErrorBody(new BadRequestException(['a must be a number'])).message).toEqual(['a must be a number']);
  });

  it('hides unexpected errors behind a plain 500', () => {
    const body = toErrorBody(new Error('ENOENT /srv/secret/path.png'));
    expect(body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
  });

  it('maps body-parser errors to their 4xx status', () => {
    expect(toErrorBody({ status: 413, type: 'entity.too.large' })).toMatchObject({ statusCode: 413, message: 'Request body is too large' });
    expect(toErrorBody({ status: 400, type: 'entity.parse.failed' })).toMatchObject({ statusCode: 400, message: 'Malformed request' });
  });
});
