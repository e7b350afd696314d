import { createHash } from 'node:crypto';
import { Injectable, NestMiddleware } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { AuthenticatedRequest } from './auth.decorators';
import { AuthService } from './auth.service';

/** Records every API request once its response is sent, including those refused with 401/403. */
@Injectable()
export class AuditMiddleware implements NestMiddleware {
  constructor(private readonly auth: AuthService) {}

  use(request: Request & AuthenticatedRequest, response: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const query = request.originalUrl.includes('?') ? request.originalUrl.slice(request.originalUrl.indexOf('?') + 1) : '';
      const params = request.params && Object.keys(request.params).length ? JSON.stringify(request.params) : '';
      const hashed = query || params ? createHash('sha256').update(`${params}?${query}`).digest('hex') : null;
      // route.path is the pattern (`/lesions/:id`); unmatched URLs are logged as "(unmatched)" so no raw path is kept.
      const route = request.route?.path ? `${request.baseUrl}${request.route.path}` : '(unmatched)';
      this.auth.recordRequest({
          apiKeyId: request.apiKey?.id ?? null,
          method: request.method,
          route,
          status: response.statusCode,
          queryHash: hashed,
          durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
          at: new Date(),
        });
    });
    next();
  }
}
