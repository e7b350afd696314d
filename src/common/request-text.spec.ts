import {
  findBadQueryText,
  findJsonString,
  findLongJsonContainer,
  formFieldProblem,
  jsonDepthExceeds,
  parseJsonBody,
  queryProblemMessage,
  RequestTextError,
  textProblem,
} from './request-text';

const parse = (text: string | Buffer, depth = 32) => parseJsonBody(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'), depth);
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RequestTextError);
    return (error as Error).message;
  }
  throw new Error('expected a RequestTextError');
};

describe('textProblem', () => {
  it('flags NUL and lone surrogates, and passes other text (pairs, U+FFFD, emoji)', () => {
    expect(textProblem('a\u0000b')).toBe('nul');
    expect(textProblem('\ud800')).toBe('invalid-utf8');
    expect(textProblem('x\udc00')).toBe('invalid-utf8');
    expect(textProblem('\ud800x\udc00')).toBe('invalid-utf8');
    expect(textProblem('lung 🫁 nodule, \uFFFD, é')).toBeNull();
  });
});

describe('jsonDepthExceeds', () => {
  it('counts nesting of objects and arrays, not brackets inside strings', () => {
    expect(jsonDepthExceeds('{"a":{"b":[1,[2]]}}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":{"b":[1,[2]]}}', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":"[[[[[[{{{{\\"[[["}', 1)).toBe(false);
    expect(jsonDepthExceeds('['.repeat(10_000) + ']'.repeat(10_000), 32)).toBe(true);
  });
});

describe('findJsonString', () => {
  it('names the path of the first bad string, or the object holding a bad key', () => {
    expect(findJsonString({ definition: { criteria: { split: ['test', 'x\u0000'] } } }, textProblem)).toEqual({
      path: 'definition.criteria.split[1]',
      problem: 'nul',
      key: false,
    });
    expect(findJsonString({ definition: { ['k\u0000']: 1 } }, textProblem)).toEqual({ path: 'definition', problem: 'nul', key: true });
    expect(findJsonString({ a: [1, true, null, { b: 'fine' }] }, textProblem)).toBeNull();
  });
});

describe('parseJsonBody', () => {
  it('parses valid UTF-8 JSON, a BOM and non-ASCII text included', () => {
    expect(parse('{"name":"Läsion 🫁","n":[1,2]}')).toEqual({ name: 'Läsion 🫁', n: [1, 2] });
    expect(parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]))).toEqual({ a: 1 });
  });

  it('refuses NUL (escaped or raw) and lone surrogate escapes, naming the field', () => {
    expect(messageOf(() => parse('{"name":"a\\u0000b"}'))).toBe('body field "name" must not contain NUL characters (U+0000)');
    expect(messageOf(() => parse('{"definition":{"tags":"\\ud800"}}'))).toBe('body field "definition.tags" is not valid UTF-8 text');
    expect(messageOf(() => parse('{"a":{"\\u0000":1}}'))).toBe('a property name in body field "a" must not contain NUL characters (U+0000)');
    expect(messageOf(() => parse('"\\u0000"'))).toBe('the body must not contain NUL characters (U+0000)');
  });

  it('refuses invalid UTF-8 bytes, naming the field they are in', () => {
    const body = Buffer.concat([Buffer.from('{"ok":"é","text":"ab'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    expect(messageOf(() => parse(body))).toBe('body field "text" is not valid UTF-8 text');
    // An encoded surrogate (CESU-8) is invalid UTF-8 too.
    expect(messageOf(() => parse(Buffer.concat([Buffer.from('{"q":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])))).toBe(
      'body field "q" is not valid UTF-8 text',
    );
    expect(messageOf(() => parse(Buffer.from([0x7b, 0xff])))).toBe('Body is not valid UTF-8 text');
  });

  it('refuses over-deep bodies before parsing them, empty bodies, bad JSON and __proto__', () => {
    expect(messageOf(() => parse('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)))).toBe('Body nests objects and arrays more than 32 deep');
    expect(parse('[[[1]]]', 3)).toEqual([[[1]]]);
    expect(messageOf(() => parse('[[[[1]]]]', 3))).toMatch(/more than 3 deep/);
    expect(messageOf(() => parse(''))).toMatch(/cannot be empty/);
    expect(messageOf(() => parse('{"a":'))).toMatch(/^Body is not valid JSON/);
    expect(messageOf(() => parse('{"a":{"__proto__":{"admin":true}}}'))).toBe('Body contains the forbidden property name "__proto__"');
    expect(messageOf(() => parse('[{"constructor":{"prototype":{"admin":true}}}]'))).toBe('Body contains the forbidden property name "constructor.prototype"');
    expect(parse('{"constructor":"fine","prototype":1}')).toEqual({ constructor: 'fine', prototype: 1 });
  });
});

describe('findBadQueryText', () => {
  it('finds NUL and invalid UTF-8 in percent-decoded names and values', () => {
    expect(findBadQueryText('a=1&q=x%00y')).toEqual({ name: 'q', problem: 'nul', inName: false });
    expect(findBadQueryText('q=%ff')).toEqual({ name: 'q', problem: 'invalid-utf8', inName: false });
    expect(findBadQueryText('q=%ED%A0%80')).toEqual({ name: 'q', problem: 'invalid-utf8', inName: false });
    expect(findBadQueryText('q=%E2%82')).toEqual({ name: 'q', problem: 'invalid-utf8', inName: false });
    // Node reads the request line as latin1: a raw 0xFF byte arrives as U+00FF.
    expect(findBadQueryText('q=\u00ff')).toEqual({ name: 'q', problem: 'invalid-utf8', inName: false });
    expect(findBadQueryText('%00=1')).toEqual({ name: '\u0000', problem: 'nul', inName: true });
    expect(queryProblemMessage({ name: 'q', problem: 'nul', inName: false })).toBe('query parameter "q" must not contain NUL characters (U+0000)');
  });

  it('passes valid text, plus signs, repeated names and stray percent signs', () => {
    expect(findBadQueryText('q=liver+AND+NOT%20cyst&split=test&split=val&x=%zz&w=%E2%82%AC&y=\u00c3\u00a9')).toBeNull();
    expect(findBadQueryText('')).toBeNull();
    expect(findBadQueryText('&&flag&=1')).toBeNull();
  });
});

describe('formFieldProblem', () => {
  it('treats U+FFFD (what the form parser makes of invalid bytes) as invalid UTF-8', () => {
    expect(formFieldProblem('a\uFFFDb')).toBe('invalid-utf8');
    expect(formFieldProblem('a\u0000b')).toBe('nul');
    expect(formFieldProblem('226,90,242,113')).toBeNull();
  });

  it('refuses an array or object longer than maxItems, naming where, before walking it', () => {
    const body = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
    expect(() => parseJsonBody(body({ ids: Array.from({ length: 1001 }, (_, i) => i) }), 32, 1000)).toThrow(
      'Body field "ids" holds 1001 items; at most 1000 are taken',
    );
    expect(() => parseJsonBody(body({ a: [{ b: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i])) }] }), 32, 40)).toThrow(
      'Body field "a[0].b" holds 50 items',
    );
    expect(() => parseJsonBody(body(Array.from({ length: 41 }, () => 1)), 32, 40)).toThrow('The body holds 41 items');
    expect(parseJsonBody(body({ ids: Array.from({ length: 1000 }, (_, i) => i) }), 32, 1000)).toEqual({ ids: expect.any(Array) });
    expect(findLongJsonContainer({ a: [1, 2], b: { c: [1, 2, 3] } }, 2)).toEqual({ path: 'b.c', items: 3 });
  });
});
