import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { InputError } from './input-error';
import { RetryLaterException } from './retry-later.exception';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/**
 * The one place errors become responses: client errors keep their message, anything unexpected
 * is logged here and answered with a plain 500, never a stack trace or a server path.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = toErrorBody(exception);
    if (body.statusCode >= 500 && !(exception instanceof RetryLaterException)) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (reply.sent || reply.raw.headersSent) return;
    if (exception instanceof RetryLaterException) void reply.header('Retry-After', String(exception.retryAfterSeconds));
    // A route may have declared another type (a PNG patch) before its input was refused.
    void reply.status(body.statusCode).header('Content-Type', 'application/json; charset=utf-8').send(body);
  }
}

const UNSUPPORTED_MEDIA_TYPE = 'Unsupported content type: send JSON (application/json), or multipart/form-data where a route takes uploads';

export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof InputError) return { statusCode: exception.status, error: statusTitle(exception.status), message: exception.message };
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const payload = exception.getResponse();
    const message = typeof payload === 'string' ? payload : ((payload as { message?: string | string[] }).message ?? exception.message);
    // Nest hands Fastify's body errors over as HttpExceptions with Fastify's message; a 415 that
    // says only its title (Fastify's) names the types the API takes instead.
    if (statusCode === 415 && message === statusTitle(415)) return { statusCode, error: statusTitle(415), message: UNSUPPORTED_MEDIA_TYPE };
    return { statusCode, error: statusTitle(statusCode), message };
  }
  // Fastify's own errors (body parsing, limits) carry a status but are not HttpExceptions; their
  // messages name the problem without internals. Other errors with a status say only what kind.
  const status = (exception as { statusCode?: number })?.statusCode ?? (exception as { status?: number })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (exception as { code?: unknown }).code;
    const message =
      status === 413
        ? 'Request body is too large'
        : status === 415
          ? UNSUPPORTED_MEDIA_TYPE
          : typeof code === 'string' && code.startsWith('FST_')
            ? (exception as Error).message
            : 'Malformed request';
    return { statusCode: status, error: statusTitle(status), message };
  }
  return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
}

/** 404 → "Not Found", as HTTP spells it. */
function statusTitle(status: number): string {
  const name = HttpStatus[status];
  return name ? name.toLowerCase().replace(/(^|_)([a-z])/g, (_, sep: string, c: string) => (sep ? ' ' : '') + c.toUpperCase()) : 'Error';
}
