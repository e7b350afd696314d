/**
 * Checks on the text a request carries (JSON bodies, query strings, form fields, path parameters),
 * made once at the edge: PostgreSQL cannot store U+0000 or invalid UTF-8 in `text`, and a deeply
 * nested body overflows the stack of the validation pipe, so both are refused with a 400 that names
 * the field before any DTO, service or query sees them.
 */

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const LENIENT_UTF8 = new TextDecoder('utf-8');

// A high surrogate not followed by a low one, or a low one without a high one before it (what a JSON "\ud800" escape makes).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Names echoed in messages are cut to this many characters.
const MAX_NAME_IN_MESSAGE = 64;

export type TextProblem = 'nul' | 'invalid-utf8';

/** What is wrong with a decoded string, if anything: a NUL character, or a lone UTF-16 surrogate (not representable in UTF-8). */
export function textProblem(text: string): TextProblem | null {
  if (text.includes('\u0000')) return 'nul';
  if (LONE_SURROGATE.test(text)) return 'invalid-utf8';
  return null;
}

/** The 400 message for a problem in `what` (e.g. `body field "name"`, `query parameter "q"`). */
export function textProblemMessage(what: string, problem: TextProblem): string {
  return problem === 'nul' ? `${what} must not contain NUL characters (U+0000)` : `${what} is not valid UTF-8 text`;
}

/** A user-supplied name, safe to echo in a message: printable and short. */
export function displayName(name: string): string {
  const printable = textProblem(name) ? name.replace(/[\u0000\uD800-\uDFFF]/g, '?') : name;
  return printable.length > MAX_NAME_IN_MESSAGE ? `${printable.slice(0, MAX_NAME_IN_MESSAGE)}…` : printable;
}

export class RequestTextError extends Error {}

/** True when the JSON text nests objects and arrays deeper than `maxDepth` (brackets inside strings do not count). */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

/**
 * The first string in a parsed JSON value (keys included) that `isBad` flags, with its path
 * (`definition.tags`, `coarseType[2]`); `key` when the property name itself is the bad string.
 */
export function findJsonString(value: unknown, isBad: (text: string) => TextProblem | null): { path: string; problem: TextProblem; key: boolean } | null {
  // The path is kept as its steps and spelled out only for the string found: building it at every item
  // of a long array cost more than the rest of the check (CPU profile of `npm run fuzz`).
  const trail: (string | number)[] = [];
  const spell = () => trail.reduce<string>((path, step) => (typeof step === 'number' ? `${path}[${step}]` : path ? `${path}.${step}` : step), '');
  const visit = (node: unknown): { path: string; problem: TextProblem; key: boolean } | null => {
    if (typeof node === 'string') {
      const problem = isBad(node);
      return problem ? { path: spell(), problem, key: false } : null;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        if (typeof node[i] === 'number' || typeof node[i] === 'boolean' || node[i] === null) continue;
        trail.push(i);
        const found = visit(node[i]);
        trail.pop();
        if (found) return found;
      }
      return null;
    }
    if (node !== null && typeof node === 'object') {
      for (const name of Object.keys(node)) {
        const problem = isBad(name);
        if (problem) return { path: spell(), problem, key: true };
        trail.push(name);
        const found = visit((node as Record<string, unknown>)[name]);
        trail.pop();
        if (found) return found;
      }
    }
    return null;
  };
  return visit(value);
}

/**
 * The first array or object in a parsed JSON value with more than `maxItems` items or properties, with its
 * path: no route takes more than a few dozen, and the validation pipe's passes over a 100,000-item array
 * held the event loop for tens of milliseconds per request (CPU profile of `npm run fuzz`).
 */
export function findLongJsonContainer(value: unknown, maxItems: number, path = ''): { path: string; items: number } | null {
  if (value === null || typeof value !== 'object') return null;
  const keys = Array.isArray(value) ? null : Object.keys(value);
  const items = keys ? keys.length : (value as unknown[]).length;
  if (items > maxItems) return { path, items };
  if (keys) {
    for (const name of keys) {
      const found = findLongJsonContainer((value as Record<string, unknown>)[name], maxItems, path ? `${path}.${name}` : name);
      if (found) return found;
    }
  } else {
    for (let i = 0; i < items; i++) {
      const item = (value as unknown[])[i];
      if (item === null || typeof item !== 'object') continue;
      const found = findLongJsonContainer(item, maxItems, `${path}[${i}]`);
      if (found) return found;
    }
  }
  return null;
}
function describeJsonField(found: { path: string; key: boolean }): string {
  if (found.key) return found.path ? `a property name in body field "${displayName(found.path)}"` : 'a property name in the body';
  return found.path ? `body field "${displayName(found.path)}"` : 'the body';
}

/**
 * Decodes and parses a JSON request body: strict UTF-8, depth at most `maxDepth`, then JSON.parse; no array or
 * object with more than `maxItems` entries;
 * strings and property names with NUL or lone surrogates are refused, and so is `__proto__`.
 * Throws RequestTextError with a message for the client.
 */
export function parseJsonBody(body: Buffer, maxDepth: number, maxItems = Number.POSITIVE_INFINITY): unknown {
  if (body.length === 0) throw new RequestTextError('Body cannot be empty when content-type is set to application/json');
  let text: string;
  let invalidBytes = false;
  try {
    text = STRICT_UTF8.decode(body);
  } catch {
    // Parsed once more leniently only to say which field holds the bad bytes (they decode to U+FFFD).
    text = LENIENT_UTF8.decode(body);
    invalidBytes = true;
  }
  if (jsonDepthExceeds(text, maxDepth)) throw new RequestTextError(`Body nests objects and arrays more than ${maxDepth} deep`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (invalidBytes) throw new RequestTextError('Body is not valid UTF-8 text');
    throw new RequestTextError(`Body is not valid JSON: ${(error as Error).message}`);
  }
  if (invalidBytes) {
    const found = findJsonString(value, (s) => (s.includes('\uFFFD') ? 'invalid-utf8' : null));
    throw new RequestTextError(found ? textProblemMessage(describeJsonField(found), 'invalid-utf8') : 'Body is not valid UTF-8 text');
  }
  const long = findLongJsonContainer(value, maxItems);
  if (long) {
    const where = long.path ? `Body field "${displayName(long.path)}"` : 'The body';
    throw new RequestTextError(`${where} holds ${long.items} items; at most ${maxItems} are taken`);
  }
  const found = findJsonString(value, textProblem);
  if (found) throw new RequestTextError(textProblemMessage(describeJsonField(found), found.problem));
  const poisoned = findPrototypeKey(value);
  if (poisoned) throw new RequestTextError(`Body contains the forbidden property name "${poisoned}"`);
  return value;
}

/**
 * `__proto__`, or `constructor` holding `prototype`, anywhere in a parsed body: keys that would reach
 * an object's prototype if merged (Fastify's own parser refused them too).
 */
export function findPrototypeKey(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return null;
  if (!Array.isArray(value)) {
    if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return '__proto__';
    const ctor = (value as Record<string, unknown>).constructor;
    if (
      Object.prototype.hasOwnProperty.call(value, 'constructor') &&
      ctor !== null &&
      typeof ctor === 'object' &&
      Object.prototype.hasOwnProperty.call(ctor, 'prototype')
    )
      return 'constructor.prototype';
  }
  for (const child of Object.values(value)) {
    const found = findPrototypeKey(child);
    if (found) return found;
  }
  return null;
}

/**
 * Percent-decodes one query-string component to bytes ('+' is a space; a '%' not followed by two hex
 * digits stays as it is). Node reads the request line as latin1, so a raw character below U+0100 is
 * the byte the client sent.
 */
function percentDecodeBytes(component: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < component.length; i++) {
    const c = component.charCodeAt(i);
    if (c === 0x25 /* % */ && isHex(component.charCodeAt(i + 1)) && isHex(component.charCodeAt(i + 2))) {
      bytes.push(parseInt(component.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === 0x2b /* + */) bytes.push(0x20);
    else if (c < 0x100) bytes.push(c);
    else {
      const char = String.fromCodePoint(component.codePointAt(i)!);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
    }
  }
  return Buffer.from(bytes);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * The first query parameter whose name or value, once percent-decoded, is not valid UTF-8 or holds
 * a NUL character. Works on the raw query string: the framework's parser leaves undecodable
 * escapes such as `%ff` as literal text, so the decoded values cannot tell.
 */
export function findBadQueryText(rawQuery: string): { name: string; problem: TextProblem; inName: boolean } | null {
  if (!rawQuery) return null;
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawName = eq >= 0 ? pair.slice(0, eq) : pair;
    const rawValue = eq >= 0 ? pair.slice(eq + 1) : '';
    const name = decodeStrict(rawName);
    if (name === null) return { name: LENIENT_UTF8.decode(percentDecodeBytes(rawName)), problem: 'invalid-utf8', inName: true };
    if (name.includes('\u0000')) return { name, problem: 'nul', inName: true };
    const value = decodeStrict(rawValue);
    if (value === null) return { name, problem: 'invalid-utf8', inName: false };
    if (value.includes('\u0000')) return { name, problem: 'nul', inName: false };
  }
  return null;
}

function decodeStrict(component: string): string | null {
  if (!/[%+\u0080-\uffff]/.test(component)) return component;
  // A raw (unescaped) lone surrogate in the URL cannot be encoded as UTF-8 either.
  if (LONE_SURROGATE.test(component)) return null;
  try {
    return STRICT_UTF8.decode(percentDecodeBytes(component));
  } catch {
    return null;
  }
}

/** The 400 message for a bad query parameter found by findBadQueryText. */
export function queryProblemMessage(found: { name: string; problem: TextProblem; inName: boolean }): string {
  return textProblemMessage(
    found.inName ? `a query parameter name ("${displayName(found.name)}")` : `query parameter "${displayName(found.name)}"`,
    found.problem,
  );
}

/**
 * A multipart text field's problem. The form parser decodes invalid UTF-8 bytes to U+FFFD, so that
 * character counts as invalid here (no form of this API has a use for it).
 */
export function formFieldProblem(value: string): TextProblem | null {
  return textProblem(value) ?? (value.includes('\uFFFD') ? 'invalid-utf8' : null);
}
