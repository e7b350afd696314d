import { AsyncLocalStorage } from 'node:async_hooks';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { EMPTY, Observable, throwError, timeout } from 'rxjs';
import { RetryLaterException } from './retry-later.exception';

const requestSignals = new AsyncLocalStorage<AbortSignal>();

/**
 * Aborted when the current request runs out of time or its client goes away: work started for it
 * (an upload's decoding) listens and stops. Undefined outside a request.
 */
export function currentRequestSignal(): AbortSignal | undefined {
  return requestSignals.getStore();
}

/**
 * Answers 503 (with Retry-After) for a request whose handler has not answered within REQUEST_TIMEOUT_MS,
 * so no client waits unbounded, and aborts the request's signal so the work it started stops too.
 * A response that has started streaming (a cohort export) is left to finish.
 */
@Injectable()
export class RequestTimeoutInterceptor implements NestInterceptor {
  constructor(private readonly timeoutMs: number) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const controller = new AbortController();
    const raw = reply?.raw;
    raw?.once('close', () => {
      if (!raw.writableFinished) controller.abort(new Error('the client went away'));
    });
    // next.handle() binds the handler to the async context it is called in: the request's signal.
    const handled = requestSignals.run(controller.signal, () => next.handle());
    return handled.pipe(
      timeout({
        first: this.timeoutMs,
        with: () => {
          if (reply?.sent || raw?.headersSent) return EMPTY;
          controller.abort(new Error('the request ran out of time'));
          return throwError(
            () =>
              new RetryLaterException(
                `The request did not finish within the time limit (${this.timeoutMs} ms) and was stopped; try again later`,
                Math.max(1, Math.ceil(this.timeoutMs / 1000)),
              ),
          );
        },
      }),
    );
  }
}
