import fc from 'fast-check';
import { boundaryOf, buildMultipartRelated, MultipartError, parseContentType, parseMultipartRelated } from './multipart-related';

const LIMITS = { maxParts: 10, maxPartBytes: 1024 };
const TYPE = 'multipart/related; type="application/dicom"; boundary=b0und';
const text = (s: string) => Buffer.from(s, 'latin1');

describe('parseMultipartRelated', () => {
  it('splits parts with their headers and exact bytes (CRLF inside a part kept)', () => {
    const body = text(
      '--b0und\r\nContent-Type: application/dicom\r\n\r\nAB\r\nCD\r\n--b0und\r\nContent-Type: application/dicom\r\nContent-Location: x\r\n\r\nEF\r\n--b0und--\r\n',
    );
    const parts = parseMultipartRelated(body, TYPE, LIMITS);
    expect(parts.map((p) => Buffer.from(p.body).toString('latin1'))).toEqual(['AB\r\nCD', 'EF']);
    expect(parts[1].headers).toEqual({ 'content-type': 'application/dicom', 'content-location': 'x' });
  });

  it('ignores a preamble and an epilogue, and reads a quoted boundary', () => {
    const body = text('preamble\r\n--a b:c\r\nContent-Type: application/dicom\r\n\r\nXY\r\n--a b:c--\r\nepilogue');
    const parts = parseMultipartRelated(body, 'multipart/related; boundary="a b:c"', LIMITS);
    expect(parts).toHaveLength(1);
    expect(Buffer.from(parts[0].body).toString()).toBe('XY');
  });

  it('does not split on the boundary in the middle of a line of part bytes', () => {
    const body = text('--b0und\r\nContent-Type: application/dicom\r\n\r\nxx--b0und yy\r\n--b0und--');
    expect(Buffer.from(parseMultipartRelated(body, TYPE, LIMITS)[0].body).toString()).toBe('xx--b0und yy');
  });

  it('refuses a missing closing boundary, a missing opening boundary, and parts without headers', () => {
    expect(() => parseMultipartRelated(text('--b0und\r\nContent-Type: a/b\r\n\r\nXY'), TYPE, LIMITS)).toThrow('closing boundary');
    expect(() => parseMultipartRelated(text('hello'), TYPE, LIMITS)).toThrow('opening boundary');
    expect(() => parseMultipartRelated(text('--b0und\r\nno header here\r\n--b0und--'), TYPE, LIMITS)).toThrow(MultipartError);
  });

  it('refuses hostile or missing boundaries and other media types', () => {
    expect(() => boundaryOf('multipart/related')).toThrow('boundary');
    expect(() => boundaryOf(`multipart/related; boundary=${'x'.repeat(71)}`)).toThrow('boundary');
    expect(() => boundaryOf('multipart/related; boundary="bad\u0000"')).toThrow('boundary');
    expect(() => boundaryOf('application/json')).toThrow('expected multipart/related, got application/json');
    expect(() => boundaryOf(undefined)).toThrow('no usable Content-Type');
  });

  it('bounds the part count and each part size (kind too-large)', () => {
    const many = '--b0und\r\nContent-Type: a/b\r\n\r\nX\r\n'.repeat(11) + '--b0und--';
    expect(() => parseMultipartRelated(text(many), TYPE, LIMITS)).toThrow(expect.objectContaining({ kind: 'too-large' }));
    const big = `--b0und\r\nContent-Type: a/b\r\n\r\n${'Z'.repeat(1025)}\r\n--b0und--`;
    expect(() => parseMultipartRelated(text(big), TYPE, LIMITS)).toThrow(expect.objectContaining({ kind: 'too-large' }));
  });

  it('reads back what buildMultipartRelated wrote, for any part bytes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 5 }), (bodies) => {
        const built = buildMultipartRelated(
          bodies.map((b) => ({ contentType: 'application/dicom', body: b })),
          'lrs-0123456789abcdef',
        );
        const parts = parseMultipartRelated(built.body, built.contentType, LIMITS);
        expect(parts.map((p) => Array.from(p.body))).toEqual(bodies.map((b) => Array.from(b)));
      }),
    );
  });

  it('throws only MultipartError on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 40 }), (bytes, noise) => {
        const body = Buffer.concat([text(`--b0und${noise}\r\n`), Buffer.from(bytes)]);
        try {
          const parts = parseMultipartRelated(body, TYPE, LIMITS);
          expect(parts.length).toBeLessThanOrEqual(LIMITS.maxParts);
        } catch (error) {
          expect(error).toBeInstanceOf(MultipartError);
        }
      }),
    );
  });
});

describe('parseContentType', () => {
  it('lower-cases the type and parameter names and unquotes values', () => {
    expect(parseContentType('Multipart/Related; Type="application/dicom"; BOUNDARY="x;y"')).toEqual({
      type: 'multipart/related',
      params: { type: 'application/dicom', boundary: 'x;y' },
    });
    expect(parseContentType('not a type')).toBeNull();
  });
});
