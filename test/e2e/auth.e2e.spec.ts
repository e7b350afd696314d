import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { covers } from '../helpers/route-coverage';
import { bearer, createTestApp, TestApp, waitFor } from '../helpers/test-app';

describe('access control (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false' });
  });
  afterAll(async () => t?.close());

  it('answers health probes and API docs without a key', async () => {
    covers('GET /health/live', 'success');
    covers('GET /health/ready', 'success');
    await t.http().get('/health/live').expect(200);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info.database.status).toBe('up');
    const docs = await t.http().get('/docs-json').expect(200);
    expect(docs.body.paths['/api/v1/lesions']).toBeDefined();
  });

  it('refuses requests without a valid key with 401', async () => {
    covers('GET /api/v1/stats', 'bad-input');
    const none = await t.http().get('/api/v1/stats').expect(401);
    expect(none.body.message).toMatch(/API key/);
    expect(none.body.stack).toBeUndefined();
    await t
      .http()
      .get('/api/v1/stats')
      .set(bearer('lrs_0123456789_' + 'x'.repeat(43)))
      .expect(401);
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
    covers('POST /api/v1/admin/keys', 'success');
    covers('GET /api/v1/admin/keys', 'success', 'bad-input');
    covers('DELETE /api/v1/admin/keys/{id}', 'success', 'bad-input');
    const created = await t.http().post('/api/v1/admin/keys').set(bearer(t.adminKey)).send({ name: 'reporting', role: 'reader' }).expect(201);
    const key: string = created.body.key;
    // The secret is base64url and may itself contain '_': take everything after the prefix.
    const [, prefix, secret] = /^lrs_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/.exec(key) ?? [];
    expect(secret).toBeDefined();
    expect(created.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'reporting', role: 'reader', datasets: null, key });
    await t.http().get('/api/v1/stats').set(bearer(key)).expect(200);
    const [stored] = await t.app.get(DataSource).query('SELECT * FROM api_key WHERE id = $1', [created.body.id]);
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored.secret_hash).toBe(createHash('sha256').update(key).digest('hex'));
    const list = await t.http().get('/api/v1/admin/keys').set(bearer(t.adminKey)).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(list.body.find((k: { id: string }) => k.id === created.body.id)).toEqual({
      id: created.body.id,
      name: 'reporting',
      prefix,
      role: 'reader',
      datasets: null,
      createdAt: expect.any(String),
      revokedAt: null,
      lastUsedAt: expect.any(String),
    });
    const ids = (await t.app.get(DataSource).query('SELECT id FROM api_key ORDER BY id')).map((r: { id: string }) => r.id);
    expect(list.body.map((k: { id: string }) => k.id).sort()).toEqual(ids.sort());
    const revoked = await t.http().delete(`/api/v1/admin/keys/${created.body.id}`).set(bearer(t.adminKey)).expect(204);
    expect(revoked.text).toBe('');
    await t.http().get('/api/v1/stats').set(bearer(key)).expect(401);
    const [after] = await t.app.get(DataSource).query('SELECT revoked_at FROM api_key WHERE id = $1', [created.body.id]);
    expect(after.revoked_at).toBeInstanceOf(Date);
    const listed = (await t.http().get('/api/v1/admin/keys').set(bearer(t.adminKey)).expect(200)).body.find((k: { id: string }) => k.id === created.body.id);
    expect(listed.revokedAt).toEqual(after.revoked_at.toISOString());
    // Revoking twice, an unknown id or a malformed one: a 404 and a 400 naming the problem.
    const again = await t.http().delete(`/api/v1/admin/keys/${created.body.id}`).set(bearer(t.adminKey)).expect(404);
    expect(again.body.message).toBe(`No active API key with id ${created.body.id}`);
    const malformed = await t.http().delete('/api/v1/admin/keys/not-a-uuid').set(bearer(t.adminKey)).expect(400);
    expect(malformed.body.message).toMatch(/uuid is expected/);
    const readerKey = await t.keyFor('reader');
    const forbidden = await t.http().get('/api/v1/admin/keys').set(bearer(readerKey)).expect(403);
    expect(forbidden.body.message).toMatch(/admin role/);
  });

  it('validates input with clear 400s', async () => {
    covers('POST /api/v1/admin/keys', 'bad-input');
    const bad = await t.http().post('/api/v1/admin/keys').set(bearer(t.adminKey)).send({ name: '', role: 'owner', extra: 1 }).expect(400);
    expect(bad.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/role/), expect.stringMatching(/extra should not exist/)]));
  });

  it('audits every request, refused ones included (those without a key counted per route, status and minute), with route patterns and hashed parameters', async () => {
    covers('GET /api/v1/admin/audit', 'success', 'bad-input');
    await t.http().get('/api/v1/lesions/12345?window=lung').expect(401);
    // Its own 403 precondition: a reader asking for the key list.
    const reader = await t.keyFor('reader');
    await t.http().get('/api/v1/admin/keys').set(bearer(reader)).expect(403);
    const entry = await waitFor(async () => {
      const res = await t.http().get('/api/v1/admin/audit?limit=500').set(bearer(t.adminKey)).expect(200);
      return (
        res.body.items as { route: string; status: number; queryHash: string | null; apiKeyId: string | null; requestCount: number; aggregated: boolean }[]
      ).find((e) => e.route === '/api/v1/lesions/:id' && e.status === 401);
    });
    expect(entry.apiKeyId).toBeNull();
    expect(entry).toMatchObject({ aggregated: true, requestCount: 1, queryHash: null });
    await t.http().get('/api/v1/stats').set(bearer(t.adminKey)).query({ limit: 1 }).expect(200);
    const keyed = await waitFor(async () => {
      const res = await t.http().get('/api/v1/admin/audit?limit=500').set(bearer(t.adminKey)).expect(200);
      return (res.body.items as { route: string; status: number; queryHash: string | null; aggregated: boolean }[]).find(
        (e) => e.route === '/api/v1/stats' && e.status === 200 && e.queryHash,
      );
    });
    expect(keyed.queryHash).toMatch(/^[0-9a-f]{64}$/);
    expect(keyed.aggregated).toBe(false);
    const audit = await t.http().get('/api/v1/admin/audit?limit=500').set(bearer(t.adminKey)).expect(200);
    expect(JSON.stringify(audit.body)).not.toContain('12345');
    expect(audit.body.items.some((e: { status: number; route: string }) => e.status === 403 && e.route === '/api/v1/admin/keys')).toBe(true);
    // Filtered by key: exactly the requests that key made, newest first.
    const probe = (await t.http().post('/api/v1/admin/keys').set(bearer(t.adminKey)).send({ name: 'audit-probe', role: 'reader' }).expect(201)).body;
    for (const route of ['/api/v1/stats', '/api/v1/lesions?limit=1', '/api/v1/admin/audit']) await t.http().get(route).set(bearer(probe.key));
    const mine = await waitFor(async () => {
      const res = await t.http().get('/api/v1/admin/audit').query({ apiKeyId: probe.id, limit: 2 }).set(bearer(t.adminKey)).expect(200);
      return res.body.total === 3 ? res.body : null;
    }, 10_000);
    expect(mine.items.map((e: { route: string; status: number; apiKeyId: string }) => [e.route, e.status, e.apiKeyId])).toEqual([
      ['/api/v1/admin/audit', 403, probe.id],
      ['/api/v1/lesions', 200, probe.id],
    ]);
    const bad = await t.http().get('/api/v1/admin/audit').query({ apiKeyId: 'nope', limit: 0 }).set(bearer(t.adminKey)).expect(400);
    expect(bad.body.message).toEqual(
      expect.arrayContaining([expect.stringMatching(/apiKeyId must be a UUID/), expect.stringMatching(/limit must not be less than 1/)]),
    );
  });
});
