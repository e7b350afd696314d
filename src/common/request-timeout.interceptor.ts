import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { EMPTY, Observable, throwError, timeout } from 'rxjs';
import { RetryLaterException } from './retry-later.exception';

/**
 * Answers 503 (with Retry-After) for a request whose handler has not answered within REQUEST_TIMEOUT_MS,
 * so no client waits unbounded. Upload decoding stops at the same limit (UploadDecoder); a response
 * that has started streaming (a cohort export) is left to finish.
 */
@Injectable()
export class RequestTimeoutInterceptor implements NestInterceptor {
  constructor(private readonly timeoutMs: number) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      timeout({
        first: this.timeoutMs,
        with: () =>
          reply?.sent || reply?.raw?.headersSent
            ? EMPTY
            : throwError(() => new RetryLaterException(`The request did not finish within the time limit (${this.timeoutMs} ms); try again later`, Math.max(1, Math.ceil(this.timeoutMs / 1000)))),
      }),
    );
  }
}
