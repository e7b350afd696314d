import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  curlReproducer,
  FuzzRequest,
  FuzzResult,
  FuzzRole,
  generateFuzzRequests,
  loadFuzzSeeds,
  OpenApiDocument,
  routesOf,
  sendFuzzRequest,
  unanswered,
} from '../../fuzz/fuzz-generator';
import { SampleService } from '../../src/sample/sample.service';
import { bearer, createTestApp, SHARED_DIR, TestApp } from '../helpers/test-app';

/**
 * The short seeded version of `npm run fuzz` (fuzz/fuzz.ts): the same generator, a few hundred requests
 * against the app in-process, with keys of every role. Asserts no 5xx, an answer to every request within a
 * generous hang bound, and /health/live answering afterwards.
 */
const SEED = 20261202;
const REQUESTS = 320;
const HANG_MS = 10_000;

describe('fuzz: generated hostile requests over every route (e2e)', () => {
  let t: TestApp;
  let baseUrl: string;
  let keys: Record<FuzzRole, string | null>;
  let doc: OpenApiDocument;
  let requests: FuzzRequest[];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-e2e-'));

  beforeAll(async () => {
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false', DETECTION_SERIES_ROOT: work });
    const job = await t.app.get(SampleService).ensureIngested();
    expect(job.status).toBe('completed');
    await (t.app as NestFastifyApplication).listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
    keys = {
      admin: t.adminKey,
      curator: await t.keyFor('curator'),
      reader: await t.keyFor('reader'),
      none: null,
      'bad-key': 'lr_fuzzfuzz.bad-secret-that-matches-no-key',
    };
    doc = (await t.http().get('/docs-json').expect(200)).body as OpenApiDocument;
    const lesions = await t.http().get('/api/v1/lesions?limit=30').set(bearer(t.adminKey)).expect(200);
    const cohort = await t
      .http()
      .post('/api/v1/cohorts')
      .set(bearer(t.adminKey))
      .send({ name: 'fuzz cohort', definition: { criteria: { coarseType: ['4'] } } })
      .expect(201);
    const seeds = loadFuzzSeeds(SHARED_DIR, path.join(work, 'paths'), {
      lesionIds: lesions.body.items.map((l: { id: number }) => l.id),
      cohortIds: [cohort.body.id],
    });
    requests = generateFuzzRequests(doc, seeds, { seed: SEED, count: REQUESTS });
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('generates requests for every route in the OpenAPI document and every kind of input', () => {
    const routes = routesOf(doc).map((r) => r.route);
    expect(routes.length).toBeGreaterThan(30);
    expect(new Set(requests.map((r) => r.route))).toEqual(new Set(routes));
    // Every kind of input is tried: path, query, JSON fields, whole bodies, content types, multipart fields and files.
    const slots = new Set(requests.map((r) => r.target.split(':')[0]));
    for (const slot of ['path', 'query', 'json', 'body', 'content-type', 'form', 'upload', 'multipart', 'server-path', 'valid']) expect(slots).toContain(slot);
  });

  it('answers every request within the hang bound, never with a 5xx, and /health/live still answers', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const results: FuzzResult[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < requests.length) results.push(await sendFuzzRequest(baseUrl, requests[next++], keys, HANG_MS, agent));
      }),
    );
    agent.destroy();
    const describe = (r: FuzzResult) =>
      `#${r.request.seq} ${r.request.route} ${r.request.target} ${r.request.kind} (${r.request.role}) → ${r.status || r.error} ${r.bodyStart?.slice(0, 120) ?? ''}\n  ${curlReproducer(baseUrl, r.request, SEED)}`;
    expect(results.filter((r) => r.status >= 500).map(describe)).toEqual([]);
    expect(results.filter(unanswered).map(describe)).toEqual([]);
    // Hostile input gets a 4xx: the generator's mutations are mostly refusals, so most answers are 4xx.
    expect(results.filter((r) => r.status >= 400 && r.status < 500).length).toBeGreaterThan(requests.length / 3);
    const live = await t.http().get('/health/live').expect(200);
    expect(live.body.status).toBe('ok');
  });
});
