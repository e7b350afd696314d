import { ForbiddenException, NotFoundException } from '@nestjs/common';
import { ALL_DATASETS, scopeOf } from '../common/dataset-scope';
import { hashApiKey } from './api-key.codec';
import { ApiKeysRepository, AuditRepository } from './api-keys.repository';
import { AppConfig } from '../config/app-config';
import { ApiKeyEntity, AuditLogEntity, AuditRecord } from './auth.entities';
import { AuthService } from './auth.service';

type Mocked<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? jest.Mock<R, A> : T[K] };

/** In-memory stand-ins for the two repositories, typed against the real ones. */
function setup() {
  const rows: ApiKeyEntity[] = [];
  const keys: Mocked<ApiKeysRepository> = {
    insert: jest.fn(async (row) => {
      const entity = {
        ...row,
        id: `00000000-0000-4000-8000-${String(rows.length).padStart(12, '0')}`,
        createdAt: new Date(),
        revokedAt: null,
        lastUsedAt: null,
      } as ApiKeyEntity;
      rows.push(entity);
      return entity;
    }),
    findActiveByPrefix: jest.fn(async (prefix) => rows.find((r) => r.prefix === prefix && !r.revokedAt) ?? null),
    list: jest.fn(async () => rows),
    countActive: jest.fn(async (role) => rows.filter((r) => r.role === role && !r.revokedAt).length),
    revoke: jest.fn(async (id) => {
      const row = rows.find((r) => r.id === id && !r.revokedAt);
      if (row) row.revokedAt = new Date();
      return !!row;
    }),
    touch: jest.fn(async (id, at) => {
      rows.find((r) => r.id === id)!.lastUsedAt = at;
    }),
  };
  const written: AuditRecord[][] = [];
  const audit: Mocked<AuditRepository> = {
    insertMany: jest.fn(async (batch) => {
      written.push(batch);
    }),
    page: jest.fn(async (_offset: number, _limit: number) => ({ total: written.flat().length, items: [] as AuditLogEntity[] })),
    addCounts: jest.fn(async (_rows) => undefined),
    deleteOlderThan: jest.fn(async (_cutoff: Date, _batchSize?: number) => 0),
  };
  const service = new AuthService(
    keys as unknown as ApiKeysRepository,
    audit as unknown as AuditRepository,
    { audit: { retentionDays: 0 } } as unknown as AppConfig,
  );
  return { service, keys, audit, rows, written };
}

// With a key: such requests get a row each (keyless ones are counted per route and minute instead).
const auditRow = (route: string): AuditRecord => ({
  apiKeyId: '00000000-0000-4000-8000-000000000001',
  method: 'GET',
  route,
  status: 200,
  queryHash: null,
  durationMs: 1,
  at: new Date(),
});

describe('AuthService', () => {
  it('stores only the hash of a new key, and authenticates the key itself', async () => {
    const { service, rows } = setup();
    const created = await service.createKey('reporting', 'reader');
    expect(rows[0].secretHash).toBe(hashApiKey(created.key));
    expect(JSON.stringify(rows[0])).not.toContain(created.key.slice(15));
    expect(await service.authenticate(created.key)).toEqual({ id: created.id, name: 'reporting', role: 'reader', datasets: null });
    expect(await service.authenticate(created.key.slice(0, -1) + (created.key.endsWith('A') ? 'B' : 'A'))).toBeNull();
    expect(await service.authenticate('not a key')).toBeNull();
  });

  it('reads a verified key once, touches it at most once a minute, and forgets it on revocation', async () => {
    const { service, keys } = setup();
    const created = await service.createKey('k', 'curator');
    await service.authenticate(created.key);
    await service.authenticate(created.key);
    expect(keys.findActiveByPrefix).toHaveBeenCalledTimes(1);
    expect(keys.touch).toHaveBeenCalledTimes(1);
    await service.revokeKey(created.id);
    expect(await service.authenticate(created.key)).toBeNull();
    await expect(service.revokeKey(created.id)).rejects.toThrow(NotFoundException);
  });

  it('limits a key to its datasets (sorted, once each), lists them, and refuses bad lists before storing anything', async () => {
    const { service, rows } = setup();
    const created = await service.createKey('site-b-reader', 'reader', ['site-b', 'site-a', 'site-b']);
    expect(created.datasets).toEqual(['site-a', 'site-b']);
    expect((await service.authenticate(created.key))?.datasets).toEqual(['site-a', 'site-b']);
    expect((await service.listKeys())[0].datasets).toEqual(['site-a', 'site-b']);
    await expect(service.createKey('x', 'reader', [])).rejects.toThrow(/at least one/);
    await expect(service.createKey('x', 'reader', ['Bad Name'])).rejects.toThrow(/lowercase/);
    await expect(service.createKey('x', 'reader', ['a'.repeat(65)])).rejects.toThrow(/lowercase/);
    await expect(
      service.createKey(
        'x',
        'reader',
        Array.from({ length: 33 }, (_, i) => `d${i}`),
      ),
    ).rejects.toThrow(/at most 32/);
    expect(rows).toHaveLength(1);
  });

  it('a key limited to datasets hands out keys only within them, and lists and revokes only those', async () => {
    const { service } = setup();
    const everything = await service.createKey('all', 'reader');
    const siteAdmin = scopeOf(['site-a', 'site-b']);
    const inherited = await service.createScopedKey('inherits', 'curator', null, siteAdmin);
    expect(inherited.datasets).toEqual(['site-a', 'site-b']);
    expect((await service.createScopedKey('narrower', 'reader', ['site-a'], siteAdmin)).datasets).toEqual(['site-a']);
    await expect(service.createScopedKey('wider', 'admin', ['site-c'], siteAdmin)).rejects.toThrow(ForbiddenException);
    expect((await service.createScopedKey('any', 'reader', null, ALL_DATASETS)).datasets).toBeNull();
    expect((await service.listKeys(siteAdmin)).map((k) => k.name)).toEqual(['inherits', 'narrower']);
    await expect(service.revokeKey(everything.id, siteAdmin)).rejects.toThrow(NotFoundException);
    await expect(service.auditPage(0, 10, undefined, siteAdmin)).rejects.toThrow(ForbiddenException);
    await service.revokeKey(inherited.id, siteAdmin);
    expect(await service.authenticate(inherited.key)).toBeNull();
  });

  it('creates a bootstrap admin only when no active admin key exists', async () => {
    const { service } = setup();
    const first = await service.ensureAdminKey();
    expect(first?.role).toBe('admin');
    expect(await service.ensureAdminKey()).toBeNull();
    await service.revokeKey(first!.id);
    expect((await service.ensureAdminKey())?.name).toBe('bootstrap-admin');
  });

  it('writes audit rows in one batch, keeps a failed batch for the next flush, and flushes before a page is read', async () => {
    const { service, audit, written } = setup();
    service.recordRequest(auditRow('/a'));
    service.recordRequest(auditRow('/b'));
    audit.insertMany.mockRejectedValueOnce(new Error('database down'));
    await service.flushAudit();
    expect(written).toEqual([]);
    service.recordRequest(auditRow('/c'));
    const page = await service.auditPage(0, 10);
    expect(written.map((batch) => batch.map((r) => r.route))).toEqual([['/a', '/b', '/c']]);
    expect(page.total).toBe(3);
    await service.beforeApplicationShutdown();
    expect(audit.insertMany).toHaveBeenCalledTimes(2);
  });
});
