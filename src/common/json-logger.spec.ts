import { formatLogRecord, JsonLogger } from './json-logger';
import { requestContext } from './request-context';

const NOW = new Date('2026-12-02T15:00:00.000Z');

describe('JSON log lines', () => {
  it('writes time, level, context and message as one JSON object', () => {
    expect(JSON.parse(formatLogRecord('log', 'Resuming import', ['Ingest'], NOW))).toEqual({
      time: '2026-12-02T15:00:00.000Z',
      level: 'log',
      context: 'Ingest',
      message: 'Resuming import',
    });
  });

  it("keeps an error's stack apart from its context, and adds the request id when given", () => {
    const line = formatLogRecord('error', 'boom', ['Error: boom\n    at x', 'Search'], NOW, 'req-1');
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      time: NOW.toISOString(),
      level: 'error',
      context: 'Search',
      message: 'boom',
      requestId: 'req-1',
      stack: 'Error: boom\n    at x',
    });
  });

  it('serialises objects and Errors given as the message, and cuts very long messages', () => {
    expect(JSON.parse(formatLogRecord('warn', { a: 1 }, [], NOW)).message).toBe('{"a":1}');
    const fromError = JSON.parse(formatLogRecord('error', new Error('bad'), [], NOW));
    expect(fromError.message).toBe('bad');
    expect(fromError.stack).toMatch(/^Error: bad/);
    expect(JSON.parse(formatLogRecord('log', 'x'.repeat(20_000), [], NOW)).message.length).toBeLessThan(8200);
  });

  it('filters by level and takes the request id from the request context', () => {
    const lines: string[] = [];
    const logger = new JsonLogger(['error', 'warn', 'log'], (line) => lines.push(line));
    logger.debug('hidden', 'Main');
    requestContext.run({ requestId: 'abc-123' }, () => logger.warn('slow query', 'Search'));
    logger.log('outside', 'Main');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', context: 'Search', message: 'slow query', requestId: 'abc-123' });
    expect(JSON.parse(lines[1]).requestId).toBeUndefined();
  });
});
