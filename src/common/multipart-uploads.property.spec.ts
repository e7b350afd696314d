import { Readable } from 'node:stream';
import { HttpException } from '@nestjs/common';
import fc from 'fast-check';
import { parseMultipart, UploadField } from './multipart-uploads';

// Property tests (fast-check) with a fixed seed: the same cases on every run; a failure prints its counterexample.
const RUNS = { seed: 5150, numRuns: 150 };
const BOUNDARY = 'prop-boundary-91x';
const HEADERS = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
const LIMITS = { fileSize: 4096, fields: 8 };
const ACCEPTED: UploadField[] = [
  { name: 'file', maxCount: 1 },
  { name: 'neighbours', maxCount: 3 },
];

/** Text that survives UTF-8 (no lone surrogates) and cannot contain the boundary. */
const text = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s && !s.includes(BOUNDARY));
const fieldName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,11}$/).filter((n) => !['file', 'neighbours', 'constructor', 'prototype'].includes(n));

function encode(fields: [string, string][], files: { field: string; bytes: Uint8Array }[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  files.forEach((f, i) =>
    parts.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${f.field}"; filename="f${i}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      Buffer.from(f.bytes),
      Buffer.from('\r\n'),
    ),
  );
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

/** The body as a stream cut into chunks at the given points (parsers must not depend on chunk boundaries). */
function chunked(body: Buffer, cuts: number[]): Readable {
  const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of [...points, body.length]) {
    if (p > at) chunks.push(body.subarray(at, p));
    at = Math.max(at, p);
  }
  return Readable.from(chunks);
}

/** Settles within 5 s, or the property fails (a parser that never settles would hang the request). */
async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('parseMultipart did not settle in 5 s')), 5000))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('parseMultipart (property)', () => {
  it('returns exactly the fields and files that were sent, however the body is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(fieldName, text), { maxLength: LIMITS.fields, selector: ([name]) => name }),
        fc.array(fc.record({ field: fc.constantFrom('file', 'neighbours'), bytes: fc.uint8Array({ maxLength: 600 }) }), { maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (fields, files0, cuts) => {
          const files = files0.filter((f, i) => f.field === 'neighbours' || files0.findIndex((g) => g.field === 'file') === i);
          const { value, error } = await settled(parseMultipart(HEADERS, chunked(encode(fields, files), cuts), ACCEPTED, LIMITS));
          expect(error).toBeUndefined();
          expect(value!.fields).toEqual(Object.fromEntries(fields));
          for (const field of ['file', 'neighbours']) {
            expect((value!.files[field] ?? []).map((f) => Buffer.from(f.buffer).toString('hex'))).toEqual(
              files.filter((f) => f.field === field).map((f) => Buffer.from(f.bytes).toString('hex')),
            );
          }
        },
      ),
      RUNS,
    );
  });

  it('malformed, truncated or random bodies and headers: parsed, or refused with a 4xx HttpException; never another error, never a hang', async () => {
    const valid = encode([['box', '1,2,3,4']], [{ field: 'file', bytes: new Uint8Array(100).fill(7) }]);
    const body = fc.oneof(
      fc.nat().map((n) => valid.subarray(0, n % valid.length)),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 10 }).map((flips) => {
        const copy = Buffer.from(valid);
        for (const [at, v] of flips) copy[at % copy.length] = v;
        return copy;
      }),
      fc.uint8Array({ maxLength: 500 }).map((b) => Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n`), Buffer.from(b)])),
      fc.constant(encode([], [{ field: 'file', bytes: new Uint8Array(LIMITS.fileSize + 1) }])),
      fc.constant(
        encode(
          Array.from({ length: LIMITS.fields + 1 }, (_, i): [string, string] => [`f${i}`, 'x']),
          [],
        ),
      ),
      fc.constant(encode([['__proto__', 'x']], [])),
      fc.constant(encode([], [{ field: 'other', bytes: new Uint8Array(3) }])),
    );
    const contentType = fc.constantFrom(
      HEADERS['content-type'],
      'multipart/form-data',
      'multipart/form-data; boundary=',
      'text/plain',
      `multipart/form-data; boundary="${BOUNDARY}"; charset=x-unknown`,
      '',
    );
    await fc.assert(
      fc.asyncProperty(body, contentType, fc.array(fc.nat(), { maxLength: 4 }), async (bytes, type, cuts) => {
        const { error } = await settled(parseMultipart({ 'content-type': type }, chunked(bytes, cuts), ACCEPTED, LIMITS));
        if (error === undefined) return;
        if (!(error instanceof HttpException)) throw new Error(`not an HttpException: ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
        expect(error.getStatus()).toBeGreaterThanOrEqual(400);
        expect(error.getStatus()).toBeLessThan(500);
      }),
      { ...RUNS, numRuns: 300 },
    );
  });
});
