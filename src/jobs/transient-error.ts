/**
 * Whether a job's failure is worth a retry: a lost connection, a deadlock, a server shutting down or out
 * of resources may pass; a bad file, a bad payload or a bug fails the same way again, so the job fails
 * at once instead of retrying.
 */
const NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EMFILE', 'ENFILE']);
// PostgreSQL SQLSTATEs: serialization failure, deadlock, lock not available, shutdown, cannot connect now.
const PG_CODES = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03']);
// PostgreSQL classes: connection exception (08), insufficient resources (53).
const PG_CLASSES = ['08', '53'];
const MESSAGES = /Connection terminated|connection timeout|Client has encountered a connection error|read ECONNRESET|socket hang up/i;

export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NODE_CODES.has(code) || PG_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && PG_CLASSES.includes(code.slice(0, 2))) return true;
  }
  const driverError = (error as { driverError?: unknown }).driverError;
  if (driverError && driverError !== error && isTransientError(driverError)) return true;
  return MESSAGES.test(error.message);
}
