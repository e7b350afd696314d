import { applyDecorators, HttpCode, Post } from '@nestjs/common';
import { ApiConsumes, ApiOperation } from '@nestjs/swagger';
import { AcceptsUploads, UploadField } from './multipart-uploads';

/** The media types of a route taking JSON or a multipart upload; the first is what the API docs offer first. */
export const JSON_OR_UPLOAD = ['application/json', 'multipart/form-data'];
export const UPLOAD_OR_JSON = ['multipart/form-data', 'application/json'];

/** A POST route answering 200 that takes JSON or a multipart upload with these file fields, documented by `summary`. */
export function UploadRoute(path: string, summary: string, files: UploadField[], consumes: string[] = JSON_OR_UPLOAD): MethodDecorator {
  return applyDecorators(Post(path), HttpCode(200), AcceptsUploads(...files), ApiConsumes(...consumes), ApiOperation({ summary }));
}
