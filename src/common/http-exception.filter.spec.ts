import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
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

  it("maps Fastify's body errors to their 4xx status, keeping Fastify's message", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(toErrorBody(tooLarge)).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'Request body is too large' });
    const badJson = Object.assign(new SyntaxError("Body is not valid JSON but content-type is set to 'application/json'"), {
      statusCode: 400,
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
    });
    // (A RegExp inside toMatchObject matches anything in Jest 29: check the string itself.)
    const badJsonBody = toErrorBody(badJson);
    expect(badJsonBody.statusCode).toBe(400);
    expect(badJsonBody.message).toMatch(/not valid JSON/);
  });

  it('names the content types accepted when a body has another', () => {
    const unsupported = Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    const body = toErrorBody(unsupported);
    expect(body.statusCode).toBe(415);
    expect(body.error).toBe('Unsupported Media Type');
    expect(body.message).toMatch(/send JSON \(application\/json\), or multipart\/form-data/);
    // As Nest passes it on (an HttpException with Fastify's message), the same answer.
    expect(toErrorBody(new HttpException('Unsupported Media Type', 415))).toEqual(body);
    // A 415 of our own (an image format) keeps its message.
    expect(toErrorBody(new HttpException('unsupported image format', 415)).message).toBe('unsupported image format');
  });

  it('says only "Malformed request" for other errors that carry a 4xx status', () => {
    expect(toErrorBody(Object.assign(new Error('stream at /srv/x failed'), { status: 400 }))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Malformed request',
    });
  });
});
