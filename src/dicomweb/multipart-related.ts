/**
 * multipart/related bodies as DICOMweb uses them (RFC 2387; PS3.18 §8.6): WADO-RS answers and
 * STOW-RS requests. Pure functions over bytes, bounded in parts and sizes, for untrusted answers.
 */

export interface RelatedPart {
  /** Header names lower-cased; values trimmed. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface MultipartLimits {
  /** Most parts accepted; one more is an error. */
  maxParts: number;
  /** Largest single part body, in bytes. */
  maxPartBytes: number;
}

export class MultipartError extends Error {
  constructor(
    message: string,
    readonly kind: 'malformed' | 'too-large' = 'malformed',
  ) {
    super(message);
  }
}

// RFC 2046 §5.1.1: 1..70 characters from this set, not ending in a space.
const BOUNDARY_CHARS = /^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/;
/** Header block of one part: at most this many bytes (DICOMweb parts carry one or two short headers). */
const MAX_PART_HEADER_BYTES = 8192;

/** The media type and parameters of a Content-Type header (parameter names lower-cased, quotes removed). */
export function parseContentType(header: string | null | undefined): { type: string; params: Record<string, string> } | null {
  if (!header || header.length > 1024) return null;
  const [typePart, ...rest] = splitOutsideQuotes(header, ';');
  const type = typePart.trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type)) return null;
  const params: Record<string, string> = Object.create(null);
  for (const raw of rest) {
    const eq = raw.indexOf('=');
    if (eq <= 0) continue;
    const name = raw.slice(0, eq).trim().toLowerCase();
    let value = raw.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    params[name] = value;
  }
  return { type, params };
}

/** The boundary a multipart/related Content-Type names, validated. */
export function boundaryOf(contentType: string | null | undefined): string {
  const parsed = parseContentType(contentType);
  if (!parsed || parsed.type !== 'multipart/related') throw new MultipartError(`expected multipart/related, got ${describeType(contentType)}`);
  const boundary = parsed.params.boundary;
  if (!boundary || !BOUNDARY_CHARS.test(boundary) || boundary.endsWith(' ')) throw new MultipartError('multipart/related without a valid boundary parameter');
  return boundary;
}

/**
 * Splits a multipart/related body into its parts. Malformed framing (no opening delimiter, no closing
 * delimiter, a part without its header block) is a MultipartError; too many parts or a part over
 * maxPartBytes is a MultipartError of kind 'too-large'.
 */
export function parseMultipartRelated(body: Uint8Array, contentType: string | null | undefined, limits: MultipartLimits): RelatedPart[] {
  const boundary = boundaryOf(contentType);
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // The first delimiter may open the body or follow a preamble (which is ignored).
  let at = bytes.indexOf(delimiter);
  if (at < 0 || (at > 0 && !precededByLineBreak(bytes, at))) throw new MultipartError('multipart body without its opening boundary');
  const parts: RelatedPart[] = [];
  for (;;) {
    let cursor = at + delimiter.length;
    if (bytes[cursor] === 0x2d && bytes[cursor + 1] === 0x2d) return parts; // "--": the closing delimiter
    cursor = skipTransportPadding(bytes, cursor);
    if (!(bytes[cursor] === 0x0d && bytes[cursor + 1] === 0x0a)) throw new MultipartError('multipart boundary not followed by a line break');
    cursor += 2;
    if (parts.length >= limits.maxParts) throw new MultipartError(`more than ${limits.maxParts} parts`, 'too-large');
    const next = findDelimiter(bytes, delimiter, cursor);
    if (next < 0) throw new MultipartError('multipart body ends without its closing boundary');
    // The CRLF before the next delimiter belongs to the delimiter.
    const partEnd = next - 2;
    const headerEnd = bytes.indexOf('\r\n\r\n', cursor, 'latin1');
    let headers: Record<string, string>;
    let bodyStart: number;
    if (bytes[cursor] === 0x0d && bytes[cursor + 1] === 0x0a) {
      headers = Object.create(null);
      bodyStart = cursor + 2;
    } else {
      if (headerEnd < 0 || headerEnd + 4 > partEnd + 2 || headerEnd - cursor > MAX_PART_HEADER_BYTES)
        throw new MultipartError(`part ${parts.length + 1} has no header block`);
      headers = parseHeaders(bytes.subarray(cursor, headerEnd).toString('latin1'), parts.length + 1);
      bodyStart = headerEnd + 4;
    }
    const length = Math.max(0, partEnd - bodyStart);
    if (length > limits.maxPartBytes)
      throw new MultipartError(`part ${parts.length + 1} is ${length} bytes, over the ${limits.maxPartBytes}-byte bound`, 'too-large');
    parts.push({ headers, body: new Uint8Array(bytes.buffer, bytes.byteOffset + bodyStart, length) });
    at = next;
  }
}

/** A multipart/related body of DICOM parts (STOW-RS): the bytes and the Content-Type to send with them. */
export function buildMultipartRelated(
  parts: { contentType: string; body: Uint8Array }[],
  boundary: string,
  rootType = 'application/dicom',
): { body: Buffer; contentType: string } {
  if (!BOUNDARY_CHARS.test(boundary) || boundary.includes(' ')) throw new MultipartError('invalid boundary');
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if (Buffer.from(part.body).indexOf(delimiter) >= 0) throw new MultipartError('a part contains the boundary');
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${part.contentType}\r\n\r\n`, 'latin1'), Buffer.from(part.body), Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="${rootType}"; boundary=${boundary}` };
}

function findDelimiter(bytes: Buffer, delimiter: Buffer, from: number): number {
  // A delimiter counts only at the start of a line (after CRLF), never in the middle of a part's bytes.
  let at = from;
  for (;;) {
    const found = bytes.indexOf(delimiter, at);
    if (found < 0) return -1;
    if (found >= 2 && bytes[found - 2] === 0x0d && bytes[found - 1] === 0x0a) return found;
    at = found + 1;
  }
}

function precededByLineBreak(bytes: Buffer, at: number): boolean {
  return at >= 2 && bytes[at - 2] === 0x0d && bytes[at - 1] === 0x0a;
}

function skipTransportPadding(bytes: Buffer, at: number): number {
  let cursor = at;
  while (cursor < bytes.length && cursor - at < 256 && (bytes[cursor] === 0x20 || bytes[cursor] === 0x09)) cursor++;
  return cursor;
}

function parseHeaders(block: string, partNumber: number): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  const lines = block.split('\r\n');
  if (lines.length > 32) throw new MultipartError(`part ${partNumber} has too many header lines`);
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`part ${partNumber} has a malformed header line`);
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[a-z0-9-]{1,64}$/.test(name)) throw new MultipartError(`part ${partNumber} has a malformed header name`);
    headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted && i + 1 < text.length) {
      current += c + text[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === separator && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

function describeType(contentType: string | null | undefined): string {
  const parsed = parseContentType(contentType);
  return parsed ? parsed.type : 'no usable Content-Type';
}
