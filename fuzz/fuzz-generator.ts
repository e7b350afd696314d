/**
 * The fuzz generator shared by `npm run fuzz` (fuzz/fuzz.ts, the built service as a child process) and its
 * short seeded version in `npm test` (test/e2e/fuzz.e2e.spec.ts, the app in-process). From the OpenAPI
 * document it makes, for every route and every input (path and query parameters, JSON body fields,
 * multipart fields and files), requests with one hostile or odd value each: wrong types, null, numbers
 * beyond every column type, NUL bytes and invalid UTF-8, huge strings, deep nesting, extra fields,
 * malformed JSON, wrong content types, malformed multipart bodies and mutated PNG / JPEG / DICOM / xlsx
 * uploads, sent with keys of every role (and none). Deterministic: the same seed, document and seeds
 * give the same requests, so a failing request is replayed by its number (FUZZ_ONLY).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { encode as encodePng } from 'fast-png';
import * as jpeg from 'jpeg-js';
import { TRANSFER_SYNTAX, writeDicom } from '../src/imaging/dicom-writer.testing';
import { Prng } from '../src/sample/prng';

export type FuzzRole = 'admin' | 'curator' | 'reader' | 'none' | 'bad-key';
export const FUZZ_ROLES: readonly FuzzRole[] = ['admin', 'curator', 'reader', 'none', 'bad-key'];

export interface FuzzRequest {
  /** Position in the generated sequence: replays with FUZZ_SEED=<seed> FUZZ_ONLY=<seq>. */
  seq: number;
  /** The OpenAPI route: "POST /api/v1/search/similar". */
  route: string;
  /** The input that was made hostile: "query:patient", "json:definition.tags", "upload:file", "body", "path:id". */
  target: string;
  /** What was done to it: "int32-overflow", "nul-byte", "dicom-spacing-tiny", "deep-nesting", ... */
  kind: string;
  method: string;
  /** Path and query string, already encoded (may hold deliberately malformed escapes). */
  url: string;
  role: FuzzRole;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Inputs that come from the running service or the disk: ids to aim at, real files to mutate, server paths. */
export interface FuzzSeeds {
  lesionIds: number[];
  cohortIds: number[];
  /** Real DeepLesion 16-bit PNG slices. */
  png16: Uint8Array[];
  /** Real 8-bit JPEG key slices. */
  jpeg: Uint8Array[];
  /** A real ontology spreadsheet (.xlsx), or null. */
  xlsx: Buffer | null;
  /** Paths on the server for admin routes that read server files: devices, secrets, traversal, symlinks, FIFOs. */
  hostilePaths: Record<string, string>;
}

export interface GenerateOptions {
  seed: number;
  count: number;
  /** Requests for which this returns true are not built (their bodies are never made): the e2e spec's known failures. */
  skip?: (route: string, target: string, kind: string) => boolean;
}

interface Schema {
  type?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
  allOf?: Schema[];
  example?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

// ------------------------------------------------------------------ hostile values

/** JSON values as raw text (so 1e999, invalid UTF-8 and lone surrogates reach the parser as written). */
const HOSTILE_JSON: Record<string, () => Buffer> = {
  null: () => raw('null'),
  'wrong-type-string': () => raw('"abc"'),
  'numeric-string': () => raw('"12"'),
  'wrong-type-bool': () => raw('true'),
  'wrong-type-array': () => raw('[1,"2",null]'),
  'wrong-type-object': () => raw('{"a":1}'),
  'empty-string': () => raw('""'),
  'huge-number': () => raw('1e308'),
  'negative-huge-number': () => raw('-1e308'),
  'number-overflowing-to-infinity': () => raw('1e999'),
  denormal: () => raw('1e-320'),
  'int32-overflow': () => raw('2147483648'),
  'int64-overflow': () => raw('9223372036854775808'),
  negative: () => raw('-1'),
  zero: () => raw('0'),
  fraction: () => raw('0.5'),
  'nul-byte': () => raw('"a\\u0000b"'),
  'invalid-utf8': () => Buffer.concat([raw('"a'), Buffer.from([0xff, 0xfe, 0xc3]), raw('b"')]),
  'lone-surrogate': () => raw('"x\\ud800y"'),
  'huge-string': () => raw(JSON.stringify('x'.repeat(200_000))),
  'huge-unicode-string': () => raw(JSON.stringify('\u{1F600}\u202E'.repeat(30_000))),
  'control-chars': () => raw(JSON.stringify('\u0001\u001b[31m\r\n\t\u2028')),
  sql: () => raw(JSON.stringify("1'; DROP TABLE lesion; --")),
  'path-traversal': () => raw('"../../../../etc/passwd"'),
  'huge-array': () => raw(`[${'1,'.repeat(100_000)}1]`),
  'nested-100': () => raw('['.repeat(100) + ']'.repeat(100)),
  'proto-pollution': () => raw('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'),
};

/** Query and path values, already percent-encoded (or deliberately not). */
const HOSTILE_URL_VALUES: Record<string, string> = {
  empty: '',
  nan: 'NaN',
  infinity: 'Infinity',
  'huge-number': '1e308',
  denormal: '1e-320',
  'int32-overflow': '2147483648',
  'int64-overflow': '9223372036854775808',
  negative: '-1',
  fraction: '0.5',
  hex: '0x1f',
  whitespace: '%20%201%20',
  'nul-byte': 'a%00b',
  'invalid-utf8': '%FF%FE%C3',
  'bad-percent-escape': '%zz%',
  'huge-string': 'x'.repeat(6000),
  'huge-list': encodeURIComponent('1,'.repeat(3000) + '1'),
  json: encodeURIComponent('{"a":[1]}'),
  sql: encodeURIComponent("1' OR '1'='1"),
  'path-traversal': '..%2F..%2F..%2Fetc%2Fpasswd',
  unicode: encodeURIComponent('\u{1F600}\u202E\u0301'),
  'lone-surrogate-escape': '%ED%A0%80',
};

// ------------------------------------------------------------------ uploads

/** Mutated or odd upload files, by kind. Each takes the generator and the seeds. */
type FileMaker = (rng: Prng, seeds: FuzzSeeds) => { bytes: Uint8Array; filename: string; contentType: string };

const LARGE_JPEG_SIDE = 3500;
let largeJpeg: Uint8Array | null = null;

const FILE_KINDS: Record<string, FileMaker> = {
  'png16-real': (rng, s) => png(pick(rng, s.png16) ?? synthPng16(rng)),
  'png16-bitflip': (rng, s) => png(bitflip(rng, pick(rng, s.png16) ?? synthPng16(rng), 1 + rng.int(0, 20))),
  'png16-truncated': (rng, s) => png(truncate(rng, pick(rng, s.png16) ?? synthPng16(rng))),
  'png16-huge-dimensions': (rng, s) =>
    png(pngWithDimensions(pick(rng, s.png16) ?? synthPng16(rng), pick(rng, [60000, 4097, 0, 1, 2 ** 31 - 1])!, pick(rng, [60000, 512, 0, 2 ** 31 - 1])!)),
  'png16-palette-colour-type': (rng, s) => png(pngIhdrPatch(pick(rng, s.png16) ?? synthPng16(rng), { colourType: 3 })),
  'png-bit-depth-odd': (rng, s) => png(pngIhdrPatch(pick(rng, s.png16) ?? synthPng16(rng), { bitDepth: pick(rng, [1, 2, 4, 7, 32])! })),
  'png8-rgb': (rng) => png(encodePng({ width: 64, height: 64, data: randomBytes(rng, 64 * 64 * 3), depth: 8, channels: 3 })),
  'png16-tiny': () => png(encodePng({ width: 4, height: 4, data: new Uint16Array(16).fill(32768), depth: 16, channels: 1 })),
  'jpeg-real': (rng, s) => jpg(pick(rng, s.jpeg) ?? synthJpeg(rng, 128)),
  'jpeg-bitflip': (rng, s) => jpg(bitflip(rng, pick(rng, s.jpeg) ?? synthJpeg(rng, 128), 1 + rng.int(0, 20))),
  'jpeg-truncated': (rng, s) => jpg(truncate(rng, pick(rng, s.jpeg) ?? synthJpeg(rng, 128))),
  'jpeg-huge-dimensions': (rng, s) =>
    jpg(jpegWithDimensions(pick(rng, s.jpeg) ?? synthJpeg(rng, 128), pick(rng, [60000, 65535, 0, 4097])!, pick(rng, [60000, 512, 0])!)),
  'jpeg-large': (rng) => jpg((largeJpeg ??= synthJpeg(rng, LARGE_JPEG_SIDE))),
  'dicom-valid': (rng) =>
    dcm(writeDicom({ rows: 64, columns: 64, pixels: Array.from({ length: 64 * 64 }, () => rng.int(900, 1100)), pixelSpacing: [0.7, 0.7] })),
  'dicom-spacing-tiny': (rng) => dcm(dicomWithSpacing(rng, pick(rng, ['0.005', '0.001', '1e-4', '1e-300', '5e-324'])!)),
  'dicom-spacing-zero-or-negative': (rng) => dcm(dicomWithSpacing(rng, pick(rng, ['0', '-0.7', '-1e308'])!)),
  'dicom-spacing-huge': (rng) => dcm(dicomWithSpacing(rng, pick(rng, ['1e308', '1e6', '11'])!)),
  'dicom-spacing-not-a-number': (rng) => dcm(dicomWithSpacing(rng, pick(rng, ['NaN', 'abc', '', '\\', 'Infinity'])!)),
  'dicom-dimensions': (rng) =>
    dcm(
      writeDicom({
        rows: pick(rng, [0, 1, 60000, 65535])!,
        columns: pick(rng, [0, 64, 65535])!,
        pixelBytes: randomBytes(rng, 64 * 64 * 2),
        pixelSpacing: [0.7, 0.7],
      }),
    ),
  'dicom-bits': (rng) =>
    dcm(
      writeDicom({ rows: 32, columns: 32, bitsAllocated: pick(rng, [0, 1, 12, 32, 64])!, pixelBytes: randomBytes(rng, 32 * 32 * 4), pixelSpacing: [0.7, 0.7] }),
    ),
  'dicom-frames-and-samples': (rng) =>
    dcm(writeDicom({ rows: 32, columns: 32, numberOfFrames: pick(rng, [0, 2, 100000])!, samplesPerPixel: pick(rng, [1, 3, 0])!, pixelSpacing: [0.7, 0.7] })),
  'dicom-rescale': (rng) =>
    dcm(
      writeDicom({
        rows: 32,
        columns: 32,
        rescale: { slope: pick(rng, [0, 1e308, -1e308, 1e-320])!, intercept: pick(rng, [-1024, 1e308, -1e308])! },
        pixelSpacing: [0.7, 0.7],
      }),
    ),
  'dicom-transfer-syntax': (rng) =>
    dcm(
      writeDicom({
        rows: 32,
        columns: 32,
        transferSyntax: pick(rng, Object.values(TRANSFER_SYNTAX))!,
        encapsulate: rng.next() < 0.5,
        pixelSpacing: [0.7, 0.7],
      }),
    ),
  'dicom-truncated': (rng) => dcm(truncate(rng, writeDicom({ rows: 64, columns: 64, pixelSpacing: [0.7, 0.7] }))),
  'dicom-bitflip': (rng) => dcm(bitflip(rng, writeDicom({ rows: 64, columns: 64, pixelSpacing: [0.7, 0.7] }), 1 + rng.int(0, 30))),
  'dicom-huge-element-length': (rng) => dcm(dicomHugeLength(rng)),
  'random-bytes': (rng) => ({ bytes: randomBytes(rng, rng.int(0, 5000)), filename: 'x.bin', contentType: 'application/octet-stream' }),
  'empty-file': () => ({ bytes: new Uint8Array(0), filename: 'empty.png', contentType: 'image/png' }),
  'text-file': () => ({ bytes: raw('not an image\n'.repeat(100)), filename: 'a.txt', contentType: 'text/plain' }),
  'xlsx-real': (_rng, s) => xlsx(s.xlsx ?? raw('PK')),
  'xlsx-truncated': (rng, s) => xlsx(truncate(rng, s.xlsx ?? raw('PK\u0003\u0004'))),
  'xlsx-bitflip': (rng, s) => xlsx(bitflip(rng, s.xlsx ?? raw('PK\u0003\u0004'), 1 + rng.int(0, 50))),
  'json-labels-odd': (rng) => ({
    bytes: raw(pick(rng, ['{}', '[]', 'null', '{"a":[1,2', '[{"File_name":null}]', '{"train":{"x":1e308}}', '['.repeat(20000)])!),
    filename: 'labels.json',
    contentType: 'application/json',
  }),
};

// ------------------------------------------------------------------ generation

interface RouteInfo {
  route: string;
  method: string;
  template: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  jsonSchema: Schema | null;
  multipartSchema: Schema | null;
}

/** The routes of an OpenAPI document, with their inputs resolved. */
export function routesOf(doc: OpenApiDocument): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const [template, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      routes.push({
        route: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        jsonSchema: content['application/json'] ? resolve(doc, content['application/json'].schema) : null,
        multipartSchema: content['multipart/form-data'] ? resolve(doc, content['multipart/form-data'].schema) : null,
      });
    }
  }
  return routes.sort((a, b) => a.route.localeCompare(b.route));
}

/** `count` requests spread over every route of the document, each with one hostile input. */
export function generateFuzzRequests(doc: OpenApiDocument, seeds: FuzzSeeds, options: GenerateOptions): FuzzRequest[] {
  const rng = new Prng(options.seed);
  const routes = routesOf(doc);
  const requests: FuzzRequest[] = [];
  let attempts = 0;
  while (requests.length < options.count && attempts < options.count * 20) {
    attempts++;
    // Round-robin over the routes so that every route gets its share, then a random mutation of it.
    const route = routes[requests.length % routes.length];
    const role = weightedRole(rng);
    const made = mutate(doc, route, rng, seeds, options.skip ?? (() => false));
    if (!made) continue;
    requests.push({ seq: requests.length, route: route.route, method: route.method, role, ...made });
  }
  return requests;
}

/** Routes whose plausible request destroys what the run aims at (the seeded lesions and cohort): not in the warm-up. */
const WARMUP_EXCLUDED = new Set(['DELETE /api/v1/lesions/{id}', 'DELETE /api/v1/cohorts/{id}']);

/**
 * The warm-up before the fuzz run's "RSS before": one plausible request per route, and on every upload route
 * one upload of each file kind (every image format, DICOM transfer syntax and mutation), all with the admin
 * key, so that what is initialised once on first use (codecs, worker threads, compiled validators, caches
 * up to their bound) is there before the baseline is taken. A second round of the run shows what is left.
 */
export function generateWarmupRequests(doc: OpenApiDocument, seeds: FuzzSeeds, seed: number): FuzzRequest[] {
  const rng = new Prng(seed);
  const requests: FuzzRequest[] = [];
  const add = (route: RouteInfo, made: Made | null) => {
    if (made) requests.push({ seq: requests.length, route: route.route, method: route.method, role: 'admin', ...made });
  };
  for (const route of routesOf(doc)) {
    if (WARMUP_EXCLUDED.has(route.route)) continue;
    add(
      route,
      mutate(doc, route, rng, seeds, () => false, { target: 'valid' }),
    );
    if (!route.multipartSchema) continue;
    for (const kind of Object.keys(FILE_KINDS))
      add(
        route,
        mutate(doc, route, rng, seeds, () => false, { target: 'upload:file', kind }),
      );
  }
  return requests;
}

type Made = Pick<FuzzRequest, 'target' | 'kind' | 'url' | 'headers' | 'body'>;

function mutate(
  doc: OpenApiDocument,
  route: RouteInfo,
  rng: Prng,
  seeds: FuzzSeeds,
  skip: NonNullable<GenerateOptions['skip']>,
  forced?: { target: string; kind?: string },
): Made | null {
  const slots: string[] = [];
  for (const p of route.pathParams) slots.push(`path:${p.name}`);
  for (const p of route.queryParams) slots.push(`query:${p.name}`);
  slots.push('query:(unknown)');
  if (route.jsonSchema) {
    for (const field of fieldPaths(doc, route.jsonSchema)) slots.push(`json:${field}`);
    slots.push('body', 'body', 'content-type');
    if (SERVER_PATH_FIELDS[route.route]) slots.push('server-path', 'server-path', 'server-path', 'server-path');
  }
  if (route.multipartSchema) {
    for (const field of Object.keys(route.multipartSchema.properties ?? {}))
      if (route.multipartSchema.properties![field].format !== 'binary') slots.push(`form:${field}`);
    slots.push('upload:file', 'upload:file', 'upload:file', 'upload:file', 'multipart');
  }
  if (!route.jsonSchema && !route.multipartSchema && route.method !== 'GET') slots.push('body');
  slots.push('valid');
  const target = forced?.target ?? pick(rng, slots)!;
  const [slot, name] = target.split(/:(.*)/s);

  // The baseline request: plausible values everywhere, then one slot made hostile.
  const pathValues: Record<string, string> = {};
  for (const p of route.pathParams) pathValues[p.name] = plausiblePathValue(rng, route, p, seeds);
  const query: [string, string][] = [];
  for (const p of route.queryParams)
    if (p.required || rng.next() < 0.3) query.push([p.name, encodeURIComponent(plausibleScalar(rng, p.name, p.schema ?? {}, seeds))]);
  let kind = 'valid';
  let body: Buffer | undefined;
  let contentType: string | undefined;

  if (slot === 'path') {
    kind = pick(rng, [...Object.keys(HOSTILE_URL_VALUES), 'existing', 'dot-dot'])!;
    if (skip(route.route, target, kind)) return null;
    pathValues[name] =
      kind === 'existing'
        ? plausiblePathValue(
            rng,
            route,
            route.pathParams.find((p) => p.name === name)!,
            seeds,
          )
        : kind === 'dot-dot'
          ? '..'
          : HOSTILE_URL_VALUES[kind];
  } else if (slot === 'query') {
    kind = pick(rng, [...Object.keys(HOSTILE_URL_VALUES), 'repeated', 'bracket-syntax'])!;
    if (skip(route.route, target, kind)) return null;
    const key = name === '(unknown)' ? 'zzUnknown' : name;
    const rest = query.filter(([k]) => k !== key);
    if (kind === 'repeated') rest.push([key, '1'], [key, '2']);
    else if (kind === 'bracket-syntax') rest.push([`${key}[a]`, '1'], [`${key}[]`, '2']);
    else rest.push([key, HOSTILE_URL_VALUES[kind]]);
    query.splice(0, query.length, ...rest);
  }

  if (route.jsonSchema && slot !== 'multipart' && slot !== 'upload' && slot !== 'form') {
    const base = plausibleObject(doc, route.jsonSchema, rng, seeds, route);
    contentType = 'application/json';
    if (slot === 'json') {
      kind = pick(rng, Object.keys(HOSTILE_JSON))!;
      if (skip(route.route, target, kind)) return null;
      body = jsonWithField(base, name.split('.'), HOSTILE_JSON[kind]());
    } else if (slot === 'server-path') {
      kind = pick(rng, Object.keys(seeds.hostilePaths))!;
      if (skip(route.route, target, kind)) return null;
      for (const field of SERVER_PATH_FIELDS[route.route]) base[field] = rng.next() < 0.7 ? seeds.hostilePaths[kind] : base[field];
      body = raw(JSON.stringify(base));
    } else if (slot === 'body') {
      kind = pick(rng, Object.keys(BODY_KINDS))!;
      if (skip(route.route, target, kind)) return null;
      ({ body, contentType } = BODY_KINDS[kind](base, rng));
    } else if (slot === 'content-type') {
      kind = pick(rng, Object.keys(CONTENT_TYPES))!;
      if (skip(route.route, target, kind)) return null;
      contentType = CONTENT_TYPES[kind];
      body = raw(kind === 'multipart-to-json-route' ? multipartText('B0undary', [['a', '1']]) : JSON.stringify(base));
    } else {
      if (skip(route.route, target, kind)) return null;
      body = raw(JSON.stringify(base));
    }
  } else if (route.multipartSchema) {
    const fields = plausibleFormFields(doc, route, rng, seeds);
    let file = FILE_KINDS[defaultFileKind(route)](rng, seeds);
    if (slot === 'upload') {
      kind = forced?.kind ?? pick(rng, Object.keys(FILE_KINDS))!;
      if (skip(route.route, target, kind)) return null;
      file = FILE_KINDS[kind](rng, seeds);
      // Slices sent as 8-bit need their window; the sniffed format decides the rest.
      if (kind.startsWith('jpeg') && 'huWindow' in (route.multipartSchema.properties ?? {})) fields.huWindow = '-1024,3071';
    } else if (slot === 'form') {
      kind = pick(rng, [...Object.keys(HOSTILE_URL_VALUES), 'huge-field', 'nul-byte-raw'])!;
      if (skip(route.route, target, kind)) return null;
      fields[name] = kind === 'huge-field' ? 'x'.repeat(1_100_000) : kind === 'nul-byte-raw' ? '1\u00002' : safeDecode(HOSTILE_URL_VALUES[kind]);
    } else if (slot === 'multipart') {
      kind = pick(rng, Object.keys(MULTIPART_KINDS))!;
      if (skip(route.route, target, kind)) return null;
      const built = MULTIPART_KINDS[kind](fields, file, rng);
      body = built.body;
      contentType = built.contentType;
    } else if (skip(route.route, target, kind)) return null;
    if (!body) {
      const boundary = `----fuzz${rng.nextUint32().toString(16)}`;
      body = multipartBody(boundary, Object.entries(fields), [{ field: 'file', ...file }]);
      contentType = `multipart/form-data; boundary=${boundary}`;
    }
  } else if (slot === 'body') {
    // A body where the route takes none.
    kind = pick(rng, ['json-object', 'deep-nesting-array', 'malformed-json'])!;
    if (skip(route.route, target, kind)) return null;
    ({ body, contentType } = BODY_KINDS[kind]({}, rng));
  } else if (slot === 'valid' && skip(route.route, target, kind)) return null;

  const url =
    route.template.replace(/\{(\w+)\}/g, (_, p: string) => pathValues[p] ?? '1') +
    (query.length ? '?' + query.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&') : '');
  const headers: Record<string, string> = {};
  if (contentType) headers['content-type'] = contentType;
  return { target, kind, url, headers, body };
}

/** JSON fields naming files or folders on the server. */
const SERVER_PATH_FIELDS: Record<string, string[]> = {
  'POST /api/v1/admin/ingest': ['csv', 'images'],
  'POST /api/v1/detections/jobs': ['series'],
};

const BODY_KINDS: Record<string, (base: Record<string, unknown>, rng: Prng) => { body: Buffer; contentType: string }> = {
  'json-object': (base) => ({ body: raw(JSON.stringify(base)), contentType: 'application/json' }),
  'malformed-json': (base, rng) => ({
    body: raw(JSON.stringify(base).slice(0, -1 - rng.int(0, 3)) + pick(rng, ['', ',', "'", '}}', '\\'])!),
    contentType: 'application/json',
  }),
  'empty-json-body': () => ({ body: Buffer.alloc(0), contentType: 'application/json' }),
  'top-level-null': () => ({ body: raw('null'), contentType: 'application/json' }),
  'top-level-array': (base) => ({ body: raw(JSON.stringify([base])), contentType: 'application/json' }),
  'top-level-string': () => ({ body: raw('"x"'), contentType: 'application/json' }),
  'top-level-number': () => ({ body: raw('1e999'), contentType: 'application/json' }),
  'extra-fields': (base) => ({ body: raw(JSON.stringify({ ...base, zzExtra: 1, isAdmin: true })), contentType: 'application/json' }),
  'proto-keys': (base) => ({
    body: raw(JSON.stringify(base).replace(/^\{/, '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"x":1}},')),
    contentType: 'application/json',
  }),
  'duplicate-keys': (base) => ({ body: raw(JSON.stringify(base).replace(/^\{/, '{"name":1,"name":null,')), contentType: 'application/json' }),
  'deep-nesting-array': () => ({ body: raw('['.repeat(10_000) + ']'.repeat(10_000)), contentType: 'application/json' }),
  'deep-nesting-object': () => ({ body: raw('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)), contentType: 'application/json' }),
  'nesting-200-in-field': (base) => ({
    body: raw(JSON.stringify({ ...base, definition: undefined }).replace(/^\{/, `{"definition":${'{"criteria":'.repeat(200)}{}${'}'.repeat(200)},`)),
    contentType: 'application/json',
  }),
  'invalid-utf8-body': (base) => ({
    body: Buffer.concat([raw(JSON.stringify(base).slice(0, -1) + ',"zz":"'), Buffer.from([0xc3, 0x28, 0xff]), raw('"}')]),
    contentType: 'application/json',
  }),
  'utf8-bom': (base) => ({ body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), raw(JSON.stringify(base))]), contentType: 'application/json' }),
  'over-body-limit': () => ({ body: raw(JSON.stringify({ name: 'x'.repeat(1_200_000) })), contentType: 'application/json' }),
  'two-documents': (base) => ({ body: raw(JSON.stringify(base) + JSON.stringify(base)), contentType: 'application/json' }),
};

const CONTENT_TYPES: Record<string, string> = {
  'text-plain': 'text/plain',
  'form-urlencoded': 'application/x-www-form-urlencoded',
  xml: 'application/xml',
  'json-latin1-charset': 'application/json; charset=latin1',
  'json-with-garbage-params': 'application/json; boundary=; q=;;;',
  'octet-stream': 'application/octet-stream',
  'multipart-to-json-route': 'multipart/form-data; boundary=B0undary',
  'multipart-without-boundary': 'multipart/form-data',
  'empty-content-type': '',
  'vendor-json': 'application/vnd.api+json',
};

type FileSpec = ReturnType<FileMaker>;
const MULTIPART_KINDS: Record<string, (fields: Record<string, string>, file: FileSpec, rng: Prng) => { body: Buffer; contentType: string }> = {
  'no-boundary-param': (fields, file) => ({
    body: multipartBody('abc', Object.entries(fields), [{ field: 'file', ...file }]),
    contentType: 'multipart/form-data',
  }),
  'wrong-boundary': (fields, file) => ({
    body: multipartBody('abc', Object.entries(fields), [{ field: 'file', ...file }]),
    contentType: 'multipart/form-data; boundary=xyz',
  }),
  unterminated: (fields, file, rng) => {
    const body = multipartBody('abc', Object.entries(fields), [{ field: 'file', ...file }]);
    return {
      body: body.subarray(0, Math.max(1, body.length - 1 - rng.int(0, Math.min(body.length - 2, 200)))),
      contentType: 'multipart/form-data; boundary=abc',
    };
  },
  'no-file': (fields) => ({ body: multipartBody('abc', Object.entries(fields), []), contentType: 'multipart/form-data; boundary=abc' }),
  'file-in-wrong-field': (fields, file) => ({
    body: multipartBody('abc', Object.entries(fields), [{ field: 'image', ...file }]),
    contentType: 'multipart/form-data; boundary=abc',
  }),
  'two-files': (fields, file) => ({
    body: multipartBody('abc', Object.entries(fields), [
      { field: 'file', ...file },
      { field: 'file', ...file },
    ]),
    contentType: 'multipart/form-data; boundary=abc',
  }),
  'many-fields': (fields, file) => ({
    body: multipartBody(
      'abc',
      [...Object.entries(fields), ...Array.from({ length: 60 }, (_, i): [string, string] => [`f${i}`, 'x'])],
      [{ field: 'file', ...file }],
    ),
    contentType: 'multipart/form-data; boundary=abc',
  }),
  'proto-field-names': (fields, file) => ({
    body: multipartBody('abc', [...Object.entries(fields), ['__proto__', 'x'], ['constructor', 'y']], [{ field: 'file', ...file }]),
    contentType: 'multipart/form-data; boundary=abc',
  }),
  'hostile-filename': (fields, file) => ({
    body: multipartBody('abc', Object.entries(fields), [{ field: 'file', ...file, filename: '../../etc/passwd\u0000.png' }]),
    contentType: 'multipart/form-data; boundary=abc',
  }),
  'repeated-field': (fields, file) => ({
    body: multipartBody('abc', [...Object.entries(fields), ...Object.entries(fields)], [{ field: 'file', ...file }]),
    contentType: 'multipart/form-data; boundary=abc',
  }),
  'garbage-part-headers': () => ({
    body: raw('--abc\r\nContent-Disposition: form-data\r\n\r\nx\r\n--abc\r\n\r\n\r\n--abc--\r\n'),
    contentType: 'multipart/form-data; boundary=abc',
  }),
  'random-bytes-body': (_f, _file, rng) => ({ body: Buffer.from(randomBytes(rng, rng.int(1, 4000))), contentType: 'multipart/form-data; boundary=abc' }),
  'over-upload-limit': () => ({
    body: multipartBody('abc', [], [{ field: 'file', bytes: new Uint8Array(33 * 1024 * 1024), filename: 'big.png', contentType: 'image/png' }]),
    contentType: 'multipart/form-data; boundary=abc',
  }),
};

function defaultFileKind(route: RouteInfo): string {
  if (route.template.includes('vocabulary/import')) return 'xlsx-real';
  if (route.template.includes('import-labels')) return 'json-labels-odd';
  return 'png16-real';
}

/** Plausible multipart text fields for an upload route, so that one hostile part is what gets tested. */
function plausibleFormFields(doc: OpenApiDocument, route: RouteInfo, rng: Prng, seeds: FuzzSeeds): Record<string, string> {
  const fields: Record<string, string> = {};
  const schema = route.multipartSchema!;
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (prop.format === 'binary') continue;
    if ((schema.required ?? []).includes(name) || rng.next() < 0.3) fields[name] = plausibleScalar(rng, name, resolve(doc, prop), seeds);
  }
  if (route.template.endsWith('search/similar')) {
    delete fields.lesionId;
    fields.box = '100,100,140,130';
    delete fields.huWindow;
  }
  if (fields.huWindow) fields.huWindow = '-1024,3071';
  if (fields.neighbourOffsetsMm) delete fields.neighbourOffsetsMm;
  return fields;
}

function plausibleObject(doc: OpenApiDocument, schema: Schema, rng: Prng, seeds: FuzzSeeds, route: RouteInfo, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, prop0] of Object.entries(schema.properties ?? {})) {
    const prop = resolve(doc, prop0);
    const required = (schema.required ?? []).includes(name);
    if (!required && rng.next() < 0.6) continue;
    if (prop.properties && depth < 4) out[name] = plausibleObject(doc, prop, rng, seeds, route, depth + 1);
    else if (prop.type === 'array') out[name] = [plausibleScalar(rng, name, prop.items ?? {}, seeds)];
    else out[name] = jsonScalar(plausibleScalar(rng, name, prop, seeds), prop, name);
  }
  // Routes that need one of two inputs: similar search by lesion id; ingest with server paths.
  if (route.template.endsWith('search/similar') && out.lesionId === undefined) out.lesionId = pick(rng, seeds.lesionIds) ?? 1;
  // Server paths: a missing file by default; the 'server-path' slot makes them hostile.
  if (route.template.endsWith('admin/ingest')) Object.assign(out, { csv: '/nonexistent/fuzz/DL_info.csv', images: '/nonexistent/fuzz/images' });
  if (route.template.endsWith('detections/jobs')) out.series = 'Images_png/000001_01_01';
  return out;
}

function jsonScalar(text: string, schema: Schema, name: string): unknown {
  if (schema.type === 'number' || schema.type === 'integer' || (schema.type === 'object' && /^-?\d/.test(text))) return Number(text);
  if (schema.type === 'boolean' || name.startsWith('exclude')) return text === 'true';
  return text;
}

const PLAUSIBLE_NUMBERS: Record<string, () => number> = {
  offset: () => 0,
  limit: () => 10,
  k: () => 5,
  ageMin: () => 20,
  ageMax: () => 80,
  diameterMinMm: () => 5,
  diameterMaxMm: () => 50,
  spacingMm: () => 0.7,
  minSimilarity: () => 0.5,
  x: () => 120,
  y: () => 120,
  patient: () => 1,
  study: () => 1,
  version: () => 1,
  scoreThreshold: () => 0.5,
  maxDetections: () => 10,
  sliceIntervalMm: () => 1,
  size: () => 128,
  contextMm: () => 120,
  low: () => -1024,
  high: () => 3071,
};

function plausibleScalar(rng: Prng, name: string, schema: Schema, seeds: FuzzSeeds): string {
  if (schema.enum?.length) return String(pick(rng, schema.enum));
  if (name === 'lesionId' || name === 'id') return String(pick(rng, seeds.lesionIds) ?? 1);
  if (PLAUSIBLE_NUMBERS[name]) return String(PLAUSIBLE_NUMBERS[name]());
  if (name === 'q' || name === 'tags') return pick(rng, ['liver', 'lung nodule', 'liver AND (hypodense OR cyst) NOT calcified'])!;
  if (name === 'window') return pick(rng, ['abdomen', '-160,240'])!;
  if (name === 'box') return '100,100,140,130';
  if (name === 'coarseType') return '4';
  if (name === 'split') return 'test';
  if (name === 'dataset') return 'deeplesion';
  if (name === 'huWindow') return '-1024,3071';
  if (name === 'include') return 'similar';
  if (name === 'prefix') return 'liv';
  if (name === 'term') return pick(rng, ['liver', 'cyst', 'hypodense'])!;
  if (schema.type === 'number' || schema.type === 'integer') return String(rng.int(0, 10));
  if (schema.type === 'boolean') return 'true';
  if (schema.example !== undefined) return String(schema.example);
  return `fuzz-${rng.int(0, 999)}`;
}

function plausiblePathValue(rng: Prng, route: RouteInfo, p: Parameter, seeds: FuzzSeeds): string {
  if (route.template.startsWith('/api/v1/cohorts/')) return String(pick(rng, seeds.cohortIds) ?? 1);
  if (route.template.startsWith('/api/v1/lesions/')) return p.name === 'term' ? pick(rng, ['liver', 'cyst'])! : String(pick(rng, seeds.lesionIds) ?? 1);
  if (p.name === 'name') return pick(rng, ['liver', 'cyst', 'nodule'])!;
  // Key, job and detection ids: never a real key's id (revoking the fuzzer's own keys would end the run).
  if (p.schema?.type === 'string') return pick(rng, ['00000000-0000-0000-0000-000000000000', '1', 'abc'])!;
  return String(rng.int(1, 50));
}

/** Dotted paths of a schema's fields (nested objects included), e.g. "definition.criteria.ageMin". */
function fieldPaths(doc: OpenApiDocument, schema: Schema, prefix = '', depth = 0): string[] {
  const out: string[] = [];
  for (const [name, prop0] of Object.entries(schema.properties ?? {})) {
    const prop = resolve(doc, prop0);
    out.push(prefix + name);
    if (prop.properties && depth < 4) out.push(...fieldPaths(doc, prop, `${prefix}${name}.`, depth + 1));
  }
  return out;
}

/** The base object serialized with one field (possibly nested, creating parents) set to a raw JSON value. */
function jsonWithField(base: Record<string, unknown>, fieldPath: string[], value: Buffer): Buffer {
  const marker = `__FUZZ_VALUE_${fieldPath.join('_')}__`;
  const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  let node = copy;
  for (const key of fieldPath.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null || Array.isArray(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[fieldPath[fieldPath.length - 1]] = marker;
  const [before, after] = JSON.stringify(copy).split(JSON.stringify(marker));
  return Buffer.concat([raw(before), value, raw(after)]);
}

function resolve(doc: OpenApiDocument, schema: Schema): Schema {
  if (schema.$ref) return resolve(doc, doc.components?.schemas?.[schema.$ref.split('/').pop()!] ?? {});
  if (schema.allOf?.length === 1) return { ...resolve(doc, schema.allOf[0]), ...schema, allOf: undefined };
  return schema;
}

function weightedRole(rng: Prng): FuzzRole {
  const r = rng.next();
  return r < 0.45 ? 'admin' : r < 0.65 ? 'curator' : r < 0.85 ? 'reader' : r < 0.93 ? 'none' : 'bad-key';
}

// ------------------------------------------------------------------ bytes

function raw(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

function pick<T>(rng: Prng, items: readonly T[]): T | undefined {
  return items.length ? items[rng.int(0, items.length - 1)] : undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function randomBytes(rng: Prng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.nextUint32() & 0xff;
  return out;
}

function bitflip(rng: Prng, bytes: Uint8Array, flips: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  // Mostly in the first 2 KB, where the headers are.
  for (let i = 0; i < flips && out.length; i++)
    out[rng.next() < 0.7 ? rng.int(0, Math.min(out.length, 2048) - 1) : rng.int(0, out.length - 1)] ^= 1 << rng.int(0, 7);
  return out;
}

function truncate(rng: Prng, bytes: Uint8Array): Uint8Array {
  return bytes.slice(0, rng.int(0, Math.max(0, bytes.length - 1)));
}

function png(bytes: Uint8Array): FileSpec {
  return { bytes, filename: 'slice.png', contentType: 'image/png' };
}
function jpg(bytes: Uint8Array): FileSpec {
  return { bytes, filename: 'slice.jpg', contentType: 'image/jpeg' };
}
function dcm(bytes: Uint8Array): FileSpec {
  return { bytes, filename: 'slice.dcm', contentType: 'application/dicom' };
}
function xlsx(bytes: Uint8Array): FileSpec {
  return { bytes, filename: 'ontology.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' };
}

function synthPng16(rng: Prng): Uint8Array {
  const side = 64;
  const data = new Uint16Array(side * side);
  for (let i = 0; i < data.length; i++) data[i] = 32768 + rng.int(-1000, 1000);
  return encodePng({ width: side, height: side, data, depth: 16, channels: 1 });
}

function synthJpeg(rng: Prng, side: number): Uint8Array {
  const data = Buffer.alloc(side * side * 4);
  const base = rng.int(0, 255);
  for (let i = 0; i < side * side; i++) {
    const v = (base + ((i % side) ^ Math.floor(i / side))) & 0xff;
    data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = v;
    data[4 * i + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ data, width: side, height: side }, 80).data);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG with its IHDR fields changed and the chunk's CRC fixed, so only the decoder's checks stand in the way. */
function pngIhdrPatch(bytes: Uint8Array, patch: { width?: number; height?: number; bitDepth?: number; colourType?: number }): Uint8Array {
  const out = Uint8Array.from(bytes);
  if (out.length < 33) return out;
  const view = new DataView(out.buffer);
  if (patch.width !== undefined) view.setUint32(16, patch.width >>> 0);
  if (patch.height !== undefined) view.setUint32(20, patch.height >>> 0);
  if (patch.bitDepth !== undefined) out[24] = patch.bitDepth;
  if (patch.colourType !== undefined) out[25] = patch.colourType;
  view.setUint32(29, crc32(out.subarray(12, 29)));
  return out;
}
function pngWithDimensions(bytes: Uint8Array, width: number, height: number): Uint8Array {
  return pngIhdrPatch(bytes, { width, height });
}

/** A JPEG whose SOF marker claims other dimensions. */
function jpegWithDimensions(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 2; i + 9 < out.length;) {
    if (out[i] !== 0xff) break;
    const marker = out[i + 1];
    const length = (out[i + 2] << 8) | out[i + 3];
    if (marker >= 0xc0 && marker <= 0xc3) {
      out[i + 5] = (height >> 8) & 0xff;
      out[i + 6] = height & 0xff;
      out[i + 7] = (width >> 8) & 0xff;
      out[i + 8] = width & 0xff;
      break;
    }
    i += 2 + length;
  }
  return out;
}

function dicomWithSpacing(rng: Prng, spacing: string): Uint8Array {
  const side = 64;
  return writeDicom({
    rows: side,
    columns: side,
    pixels: Array.from({ length: side * side }, () => rng.int(900, 1100)),
    elements: [{ tag: 0x00280030, vr: 'DS', value: `${spacing}\\${spacing}` }],
  });
}

/** A DICOM file whose last element before the pixels claims a length far past the end of the file. */
function dicomHugeLength(rng: Prng): Uint8Array {
  const file = writeDicom({ rows: 16, columns: 16, pixelSpacing: [0.7, 0.7] });
  const out = Uint8Array.from(file);
  const view = new DataView(out.buffer);
  // The pixel data element's length (explicit VR OW: tag, VR, 2 reserved, 4-byte length) sits 16×16×2 + 4 bytes from the end.
  const at = out.length - 16 * 16 * 2 - 4;
  if (at > 0) view.setUint32(at, pick(rng, [0xffffffff, 0x7fffffff, 0xfffffffe])!, true);
  return out;
}

function multipartText(boundary: string, fields: [string, string][]): string {
  return fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + `--${boundary}--\r\n`;
}

/** A multipart/form-data body with text fields and files. */
export function multipartBody(
  boundary: string,
  fields: [string, string][],
  files: { field: string; bytes: Uint8Array; filename: string; contentType: string }[],
): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) parts.push(raw(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`), raw(value), raw('\r\n'));
  for (const f of files) {
    parts.push(
      raw(`--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.filename}"\r\nContent-Type: ${f.contentType}\r\n\r\n`),
      Buffer.from(f.bytes),
      raw('\r\n'),
    );
  }
  parts.push(raw(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

// ------------------------------------------------------------------ seeds from disk

/**
 * Real files to mutate (from the shared data folder, when present) and hostile server paths, some of
 * them made in `workDir`: a symlink to /etc/passwd, one to /dev/zero, a FIFO, a directory named like a CSV.
 */
export function loadFuzzSeeds(sharedDir: string, workDir: string, ids: { lesionIds: number[]; cohortIds: number[] }): FuzzSeeds {
  const files = (dir: string, ext: string, n: number) => {
    try {
      return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(ext))
        .sort()
        .slice(0, n)
        .map((f) => new Uint8Array(fs.readFileSync(path.join(dir, f))));
    } catch {
      return [];
    }
  };
  const xlsxPath = path.join(sharedDir, 'data/lesanet/labels_for_demo.xlsx');
  fs.mkdirSync(workDir, { recursive: true });
  const link = (name: string, to: string) => {
    const at = path.join(workDir, name);
    try {
      fs.rmSync(at, { force: true });
      fs.symlinkSync(to, at);
    } catch {
      // symlinks not allowed here: the plain paths still go
    }
    return at;
  };
  const csvDir = path.join(workDir, 'folder.csv');
  fs.mkdirSync(csvDir, { recursive: true });
  return {
    ...ids,
    png16: files(path.join(sharedDir, 'data/ct-slices-unlabeled'), '.png', 4),
    jpeg: files(path.join(sharedDir, 'data/deeplesion-samples/images'), '.jpg', 4),
    xlsx: fs.existsSync(xlsxPath) ? fs.readFileSync(xlsxPath) : null,
    hostilePaths: {
      'dev-zero': '/dev/zero',
      'dev-urandom': '/dev/urandom',
      'etc-passwd': '/etc/passwd',
      'proc-environ': '/proc/self/environ',
      traversal: '../../../../../../etc/passwd',
      'dot-dot': '../../',
      root: '/',
      nonexistent: '/nonexistent/fuzz/DL_info.csv',
      'nul-in-path': '/tmp/a\u0000b',
      'symlink-to-passwd': link('passwd.csv', '/etc/passwd'),
      'symlink-to-dev-zero': link('zero.csv', '/dev/zero'),
      'directory-as-csv': csvDir,
      'huge-path': '/' + 'a/'.repeat(2000),
    },
  };
}

// ------------------------------------------------------------------ sending

export interface FuzzResult {
  request: FuzzRequest;
  /** HTTP status, or 0 when no answer came (error or timeout). */
  status: number;
  ms: number;
  error?: string;
  timedOut?: boolean;
  /**
   * The server closed the connection while a body over its limit was still being sent (EPIPE / reset): it
   * refused the body, but the client never read the answer. Expected for over-limit bodies, not a failure.
   */
  closedEarly?: boolean;
  bodyStart?: string;
}

/** No answer at all: a timeout, or a connection error that is not an over-limit body cut off early. */
export function unanswered(result: FuzzResult): boolean {
  return result.status === 0 && !result.closedEarly;
}

/** Sends one request over plain node:http (any bytes, any header), with a hard client timeout. */
export function sendFuzzRequest(
  baseUrl: string,
  request: FuzzRequest,
  keys: Record<FuzzRole, string | null>,
  timeoutMs: number,
  agent?: http.Agent,
): Promise<FuzzResult> {
  const started = performance.now();
  const headers: Record<string, string | number> = { ...request.headers };
  const key = keys[request.role];
  if (key) headers.authorization = `Bearer ${key}`;
  if (request.body) headers['content-length'] = request.body.length;
  const target = new URL(baseUrl);
  return new Promise((resolveResult) => {
    let settled = false;
    const finish = (result: Omit<FuzzResult, 'request' | 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolveResult({ request, ms: performance.now() - started, ...result });
    };
    const req = http.request({ host: target.hostname, port: target.port, method: request.method, path: request.url, headers, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 2048) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => finish({ status: res.statusCode ?? 0, bodyStart: Buffer.concat(chunks).toString('utf8').slice(0, 500) }));
      res.on('error', (e) => finish({ status: res.statusCode ?? 0, error: e.message }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: 0, error: `no answer in ${timeoutMs} ms`, timedOut: true });
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) =>
      finish({ status: 0, error: e.message, closedEarly: (e.code === 'EPIPE' || e.code === 'ECONNRESET') && request.kind.startsWith('over-') }),
    );
    // The server may answer (413, 401, 415) and close before the body is sent in full.
    req.end(request.body);
  });
}

/** A shell line that replays a request with curl (bodies go through base64 so any byte survives). */
export function curlReproducer(baseUrl: string, request: FuzzRequest, seed: number, bodyFile?: string): string {
  const auth =
    request.role === 'none'
      ? ''
      : request.role === 'bad-key'
        ? ` -H 'authorization: Bearer lr_bad.key'`
        : ` -H "authorization: Bearer $${request.role.toUpperCase()}_KEY"`;
  const headers = Object.entries(request.headers)
    .map(([k, v]) => ` -H '${k}: ${v}'`)
    .join('');
  const url = `'${baseUrl}${request.url.length > 300 ? request.url.slice(0, 300) + '…(truncated)' : request.url}'`;
  if (!request.body?.length) return `curl -sS -X ${request.method}${auth}${headers} ${url}`;
  if (request.body.length > 4096)
    return `# body of ${request.body.length} bytes (or replay: FUZZ_SEED=${seed} FUZZ_ONLY=${request.seq} npm run fuzz)\ncurl -sS -X ${request.method}${auth}${headers} ${url} --data-binary @${bodyFile ?? 'body.bin'}`;
  return `echo '${request.body.toString('base64')}' | base64 -d | curl -sS -X ${request.method}${auth}${headers} ${url} --data-binary @-`;
}
