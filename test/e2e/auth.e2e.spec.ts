import { DataSource } from 'typeorm';
import { bearer, createTestApp, TestApp, waitFor } from '../helpers/test-app';

describe('access control (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false' });
  });
  afterAll(async () => t?.close());

  it('answers health probes and API docs without a key', async () => {
    await t.http().get('/health/live').expect(200);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info.database.status).toBe('up');
    const docs = await t.http().get('/docs-json').expect(200);
    expect(docs.body.paths['/api/v1/lesions']).toBeDefined();
  });

  it('refuses requests without a valid key with 401', async () => {
    const none = await t.http().get('/api/v1/stats').expect(401);
    expect(none.body.message).toMatch(/API key/);
    expect(none.body.stack).toBeUndefined();
    await t.http().get('/api/v1/stats').set(bearer('lrs_0123456789_' + 'x'.repeat(43))).expect(401);
    await t.http().get('/api/v1/stats').set('X-API-Key', 'nonsense').expect(401);
  });

  it('lets each role do its own work and refuses more with 403', async () => {
    const reader = await t.keyFor('reader');
    const curator = await t.keyFor('curator');
    await t.http().get('/api/v1/stats').set(bearer(reader)).expect(200);
    await t.http().get('/api/v1/stats').set('X-API-Key', curator).expect(200);
    const forbidden = await t.http().get('/api/v1/admin/keys').set(bearer(reader)).expect(403);
    expect(forbidden.body.message).toMatch(/admin role/);
    await t.http().post('/api/v1/admin/keys').set(bearer(curator)).send({ name: 'x', role: 'admin' }).expect(403);
    await t.http().post('/api/v1/admin/ingest').set(bearer(curator)).send({ format: 'deeplesion', csv: '/x', images: '/y' }).expect(403);
    await t.http().get('/api/v1/admin/keys').set(bearer(t.adminKey)).expect(200);
  });

  it('creates keys through the API, stores only hashes and honours revocation', async () => {
    const created = await t.http().post('/api/v1/admin/keys').set(bearer(t.adminKey)).send({ name: 'reporting', role: 'reader' }).expect(201);
    const key: string = created.body.key;
    await t.http().get('/api/v1/stats').set(bearer(key)).expect(200);
    const [stored] = await t.app.get(DataSource).query('SELECT * FROM api_key WHERE id = $1', [created.body.id]);
    expect(JSON.stringify(stored)).not.toContain(key.split('_')[2]);
    expect(stored.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    const list = await t.http().get('/api/v1/admin/keys').set(bearer(t.adminKey)).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(key);
    await t.http().delete(`/api/v1/admin/keys/${created.body.id}`).set(bearer(t.adminKey)).expect(204);
    await t.http().get('/api/v1/stats').set(bearer(key)).expect(401);
  });

  it('validates input with clear 400s', async () => {
    const bad = await t.http().post('/api/v1/admin/keys').set(bearer(t.adminKey)).send({ name: '', role: 'owner', extra: 1 }).expect(400);
    expect(bad.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/role/), expect.stringMatching(/extra should not exist/)]));
  });

  it('audits every request, refused ones included (those without a key counted per route, status and minute), with route patterns and hashed parameters', async () => {
    await t.http().get('/api/v1/lesions/12345?window=lung').expect(401);
    const entry = await waitFor(async () => {
      const res = await t.http().get('/api/v1/admin/audit?limit=500').set(bearer(t.adminKey)).expect(200);
      return (res.body.items as { route: string; status: number; queryHash: string | null; apiKeyId: string | null; requestCount: number; aggregated: boolean }[]).find(
        (e) => e.route === '/api/v1/lesions/:id' && e.status === 401,
      );
    });
    expect(entry.apiKeyId).toBeNull();
    expect(entry).toMatchObject({ aggregated: true, requestCount: 1, queryHash: null });
    await t.http().get('/api/v1/stats').set(bearer(t.adminKey)).query({ limit: 1 }).expect(200);
    const keyed = await waitFor(async () => {
      const res = await t.http().get('/api/v1/admin/audit?limit=500').set(bearer(t.adminKey)).expect(200);
      return (res.body.items as { route: string; status: number; queryHash: string | null; aggregated: boolean }[]).find((e) => e.route === '/api/v1/stats' && e.status === 200 && e.queryHash);
    });
    expect(keyed.queryHash).toMatch(/^[0-9a-f]{64}$/);
    expect(keyed.aggregated).toBe(false);
    const audit = await t.http().get('/api/v1/admin/audit?limit=500').set(bearer(t.adminKey)).expect(200);
    expect(JSON.stringify(audit.body)).not.toContain('12345');
    expect(audit.body.items.some((e: { status: number }) => e.status === 403)).toBe(true);
  });
});
