import { declaredCoverage } from '../helpers/route-coverage';
import { createTestApp, TestApp } from '../helpers/test-app';

// Routes that take no input at all: nothing to send them that is bad.
const NO_INPUT: Record<string, string> = {
  'GET /health/live': 'a liveness probe: no parameters, no key',
  'GET /health/ready': 'a readiness probe: no parameters, no key (its 503 is tested in routes.e2e)',
  'GET /metrics': 'a Prometheus scrape: no parameters, no key',
};

describe('every OpenAPI route has a success test and a bad-input test (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false' });
  });
  afterAll(async () => t?.close());

  it('finds a covers() declaration of each kind for every operation in /docs-json', async () => {
    const doc = (await t.http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(doc.paths).flatMap(([route, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${route}`));
    expect(operations.length).toBeGreaterThan(30);
    const declared = declaredCoverage();
    const missing = operations.flatMap((op) => {
      const cases = declared.get(op) ?? new Set();
      return [...(cases.has('success') ? [] : [`${op}: no success test`]), ...(cases.has('bad-input') || NO_INPUT[op] ? [] : [`${op}: no bad-input test`])];
    });
    expect(missing).toEqual([]);
    // A declaration naming a route the document does not have is a typo or a removed route.
    expect([...declared.keys()].filter((op) => !operations.includes(op))).toEqual([]);
  });
});
