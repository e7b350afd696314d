import { Readable } from 'node:stream';
import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { parseMultipart, UploadField } from './multipart-uploads';

const BOUNDARY = 'test-boundary-7d3';
const HEADERS = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
const LIMITS = { fileSize: 1000, fields: 5 };
const SLICE: UploadField[] = [{ name: 'file', maxCount: 1 }];

type Part = { name: string; value: string } | { name: string; filename: string; data: Buffer };

/** A multipart body as a client would send it. */
function body(parts: Part[]): Readable {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      'filename' in part ? `form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: image/png` : `form-data; name="${part.name}"`;
    chunks.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n`),
      'data' in part ? part.data : Buffer.from(part.value),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Readable.from([Buffer.concat(chunks)]);
}

describe('parseMultipart', () => {
  it('returns text fields (repeated names as arrays) and files with their bytes', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const parsed = await parseMultipart(
      HEADERS,
      body([
        { name: 'box', value: '1,2,30,40' },
        { name: 'tag', value: 'liver' },
        { name: 'tag', value: 'cyst' },
        { name: 'file', filename: 'slice.png', data: png },
      ]),
      SLICE,
      LIMITS,
    );
    expect(parsed.fields).toEqual({ box: '1,2,30,40', tag: ['liver', 'cyst'] });
    expect(parsed.files.file).toHaveLength(1);
    expect(parsed.files.file[0]).toMatchObject({ fieldname: 'file', originalname: 'slice.png', mimetype: 'image/png', size: png.length });
    expect(Buffer.compare(parsed.files.file[0].buffer, png)).toBe(0);
  });

  it('refuses a file over the size limit with 413', async () => {
    const upload = parseMultipart(HEADERS, body([{ name: 'file', filename: 'big.png', data: Buffer.alloc(LIMITS.fileSize + 1) }]), SLICE, LIMITS);
    await expect(upload).rejects.toBeInstanceOf(PayloadTooLargeException);
  });

  it('refuses a file in a field the route does not take, naming the field', async () => {
    const upload = parseMultipart(HEADERS, body([{ name: 'image', filename: 'a.png', data: Buffer.from('x') }]), SLICE, LIMITS);
    await expect(upload).rejects.toThrow(/unexpected file field "image" \(expected "file"\)/);
  });

  it('refuses more files in a field than it takes', async () => {
    const two = body([
      { name: 'file', filename: 'a.png', data: Buffer.from('a') },
      { name: 'file', filename: 'b.png', data: Buffer.from('b') },
    ]);
    await expect(parseMultipart(HEADERS, two, SLICE, LIMITS)).rejects.toBeInstanceOf(BadRequestException);
  });

  it('refuses too many fields, and names that would reach a prototype', async () => {
    const many = body(Array.from({ length: LIMITS.fields + 1 }, (_, i) => ({ name: `f${i}`, value: 'v' })));
    await expect(parseMultipart(HEADERS, many, SLICE, LIMITS)).rejects.toThrow(/too many fields/);
    await expect(parseMultipart(HEADERS, body([{ name: '__proto__', value: '{}' }]), SLICE, LIMITS)).rejects.toThrow(/not allowed/);
  });

  it('refuses a body cut short, and a multipart type without a boundary, with 400', async () => {
    const truncated = Readable.from([Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc`)]);
    await expect(parseMultipart(HEADERS, truncated, SLICE, LIMITS)).rejects.toBeInstanceOf(BadRequestException);
    await expect(parseMultipart({ 'content-type': 'multipart/form-data' }, Readable.from([Buffer.from('x')]), SLICE, LIMITS)).rejects.toThrow(/Bad upload/);
  });
  it('refuses text fields with NUL, lone surrogates or invalid UTF-8 bytes, naming the field', async () => {
    await expect(parseMultipart(HEADERS, body([{ name: 'tags', value: 'liver\u0000' }]), SLICE, LIMITS)).rejects.toThrow(
      'Bad upload: form field "tags" must not contain NUL characters (U+0000)',
    );
    const invalid = Readable.from([
      Buffer.concat([
        Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="box"\r\n\r\n1,2`),
        Buffer.from([0xff]),
        Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
      ]),
    ]);
    await expect(parseMultipart(HEADERS, invalid, SLICE, LIMITS)).rejects.toThrow('Bad upload: form field "box" is not valid UTF-8 text');
    await expect(parseMultipart(HEADERS, body([{ name: 'tags', value: 'lung nodule é' }]), SLICE, LIMITS)).resolves.toEqual({
      fields: { tags: 'lung nodule é' },
      files: {},
    });
  });
});
