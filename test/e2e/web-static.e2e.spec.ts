import { bearer, createTestApp, TestApp } from '../helpers/test-app';

describe('web UI files (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false' });
  });
  afterAll(async () => t?.close());

  it('serves the page at / without a key, with a strict content security policy', async () => {
    const res = await t.http().get('/').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('<script type="module" src="/ui/js/app.js">');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('serves scripts and styles with their content types and answers 304 to a matching ETag', async () => {
    const js = await t.http().get('/ui/js/app.js').expect(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const css = await t.http().get('/ui/styles.css').expect(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    await t.http().get('/ui/styles.css').set('If-None-Match', css.headers.etag).expect(304);
    expect((await t.http().get('/ui/favicon.svg').expect(200)).headers['content-type']).toBe('image/svg+xml');
  });

  it('serves the coarse-type table to the page from the server, as the API names them plus the labels the page shows', async () => {
    const res = await t.http().get('/ui/js/coarse-types.js').expect(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const table = JSON.parse(res.text.slice(res.text.indexOf('['), res.text.lastIndexOf(']') + 1));
    expect(table).toContainEqual({ code: 7, name: 'soft tissue' });
    expect(table.map((t: { code: number }) => t.code)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, -1]);
    expect(res.text).toContain('export const COARSE_TYPES = ');
  });

  it('serves nothing outside web/ and no unknown file types', async () => {
    await t.http().get('/ui/..%2Fpackage.json').expect(404);
    await t.http().get('/ui/%2E%2E/%2E%2E/package.json').expect(404);
    await t.http().get('/ui/missing.js').expect(404);
    await t.http().get('/ui/js').expect(404);
  });

  it('leaves the API behind the key: /api/v1 still answers 401 without one; /api/v1/me names the key', async () => {
    await t.http().get('/api/v1/lesions').expect(401);
    await t.http().get('/api/v1/me').expect(401);
    const reader = await t.keyFor('reader');
    expect((await t.http().get('/api/v1/me').set(bearer(reader)).expect(200)).body).toEqual({ name: 'test-reader', role: 'reader', datasets: null });
    // The UI lives only outside the prefix.
    await t.http().get('/api/v1/ui/js/app.js').expect(404);
    expect((await t.http().get('/api/v1/')).headers['content-type']).not.toContain('text/html');
  });
});
