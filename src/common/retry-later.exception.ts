import { ServiceUnavailableException } from '@nestjs/common';

/**
 * 503 for work the service turned away or stopped (a full upload queue, a request over its time
 * limit): expected under load, so the exception filter adds Retry-After and does not log it as an error.
 */
export class RetryLaterException extends ServiceUnavailableException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
