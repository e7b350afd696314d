import { isTransientError } from './transient-error';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('transient job failures', () => {
  it('retries lost connections, deadlocks and a database shutting down', () => {
    expect(isTransientError(withCode('ECONNRESET'))).toBe(true);
    expect(isTransientError(withCode('40P01', 'deadlock detected'))).toBe(true);
    expect(isTransientError(withCode('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isTransientError(withCode('08006'))).toBe(true);
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
    // TypeORM wraps the driver's error.
    expect(isTransientError(Object.assign(new Error('query failed'), { driverError: withCode('40001') }))).toBe(true);
  });

  it('fails at once on bad input, constraint violations and bugs', () => {
    expect(isTransientError(withCode('23505', 'duplicate key'))).toBe(false);
    expect(isTransientError(withCode('ENOENT'))).toBe(false);
    expect(isTransientError(new TypeError('x is undefined'))).toBe(false);
    expect(isTransientError('ECONNRESET')).toBe(false);
  });
});
