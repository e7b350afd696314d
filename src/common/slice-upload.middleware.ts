import { BadRequestException, HttpException, Inject, Injectable, NestMiddleware, PayloadTooLargeException } from '@nestjs/common';
import { NextFunction, Request, RequestHandler, Response } from 'express';
import multer, { MulterError } from 'multer';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/**
 * Reads a multipart upload's `file` field into memory (bounded by MAX_UPLOAD_BYTES) for routes that
 * take either JSON or an uploaded slice. A route middleware rather than Nest's FileInterceptor: the
 * interceptor wraps every request in an observable pipeline, which cost a quarter of a JSON query's
 * time on the by-id search path (docs/BENCHMARKS.md, HTTP section). JSON requests pass straight on.
 */
@Injectable()
export class SliceUploadMiddleware implements NestMiddleware {
  private readonly single: RequestHandler;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.single = multer({ storage: multer.memoryStorage(), limits: { fileSize: config.maxUploadBytes, files: 1, fields: 40 } }).single('file') as unknown as RequestHandler;
  }

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    if (!(request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/')) return next();
    await new Promise<void>((resolve, reject) => this.single(request, response, (error?: unknown) => (error ? reject(uploadError(error)) : resolve())));
    next();
  }
}

/** Multer's errors as HTTP errors: too large is 413, anything else malformed is 400. */
export function uploadError(error: unknown): HttpException {
  if (error instanceof MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE') return new PayloadTooLargeException('The uploaded file is too large');
    return new BadRequestException(`Bad upload: ${error.message}${error.field ? ` (field "${error.field}")` : ''}`);
  }
  return new BadRequestException(`Bad upload: ${(error as Error).message ?? 'malformed multipart body'}`);
}
