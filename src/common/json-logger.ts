import { LoggerService, LogLevel } from '@nestjs/common';
import { requestContext } from './request-context';

export interface LogRecord {
  time: string;
  level: LogLevel;
  context?: string;
  message: string;
  requestId?: string;
  stack?: string;
}

/** Longest message kept in one line; a longer one is cut (a log line is not the place for a payload). */
const MAX_MESSAGE = 8192;

/**
 * One log line as JSON (LOG_FORMAT=json): Nest passes `(message, ...params)` where the last string
 * param is the context and, for errors, a string before it is the stack.
 */
export function formatLogRecord(level: LogLevel, message: unknown, params: unknown[], now: Date, requestId?: string): string {
  const rest = [...params];
  let context: string | undefined;
  if (rest.length && typeof rest[rest.length - 1] === 'string') context = rest.pop() as string;
  let stack: string | undefined;
  if ((level === 'error' || level === 'fatal') && rest.length && typeof rest[rest.length - 1] === 'string') stack = rest.pop() as string;
  if (message instanceof Error) {
    stack ??= message.stack;
    message = message.message;
  }
  let text = typeof message === 'string' ? message : safeStringify(message);
  if (text.length > MAX_MESSAGE) text = `${text.slice(0, MAX_MESSAGE)}…`;
  const record: LogRecord = {
    time: now.toISOString(),
    level,
    ...(context ? { context } : {}),
    message: text,
    ...(requestId ? { requestId } : {}),
    ...(stack ? { stack } : {}),
  };
  return JSON.stringify(record);
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Nest's logger for LOG_FORMAT=json: one object per line on stdout, with the request id when there is one. */
export class JsonLogger implements LoggerService {
  private levels: Set<LogLevel>;

  constructor(
    levels: LogLevel[],
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {
    this.levels = new Set(levels);
  }

  setLogLevels(levels: LogLevel[]): void {
    this.levels = new Set(levels);
  }

  log = (message: unknown, ...params: unknown[]): void => this.emit('log', message, params);
  error = (message: unknown, ...params: unknown[]): void => this.emit('error', message, params);
  warn = (message: unknown, ...params: unknown[]): void => this.emit('warn', message, params);
  debug = (message: unknown, ...params: unknown[]): void => this.emit('debug', message, params);
  verbose = (message: unknown, ...params: unknown[]): void => this.emit('verbose', message, params);
  fatal = (message: unknown, ...params: unknown[]): void => this.emit('fatal', message, params);

  private emit(level: LogLevel, message: unknown, params: unknown[]): void {
    if (!this.levels.has(level)) return;
    this.write(`${formatLogRecord(level, message, params, new Date(), requestContext.getStore()?.requestId)}\n`);
  }
}
