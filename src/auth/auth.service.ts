import { BeforeApplicationShutdown, Injectable, NotFoundException } from '@nestjs/common';
import { apiKeyMatches, generateApiKey, parseApiKey } from './api-key.codec';
import { ApiKeysRepository, AuditRepository } from './api-keys.repository';
import { AuthenticatedKey } from './auth.decorators';
import { ApiKeyEntity, AuditLogEntity, Role } from './auth.entities';

export interface CreatedApiKey {
  id: string;
  name: string;
  role: Role;
  /** Shown once; only its hash is stored. */
  key: string;
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

// Writing last_used_at on every request would turn reads into writes; once a minute is enough.
const TOUCH_INTERVAL_MS = 60_000;

@Injectable()
export class AuthService implements BeforeApplicationShutdown {
  /** Audit writes still in flight; shutdown waits for them so no request goes unrecorded. */
  private readonly pendingAudit = new Set<Promise<void>>();

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly audit: AuditRepository,
  ) {}

  async authenticate(rawKey: string | null): Promise<AuthenticatedKey | null> {
    const parsed = parseApiKey(rawKey);
    if (!parsed) return null;
    const row = await this.keys.findActiveByPrefix(parsed.prefix);
    if (!row || !apiKeyMatches(parsed.key, row.secretHash)) return null;
    const now = new Date();
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await this.keys.touch(row.id, now);
    }
    return { id: row.id, name: row.name, role: row.role };
  }

  async createKey(name: string, role: Role): Promise<CreatedApiKey> {
    const { key, prefix, secretHash } = generateApiKey();
    const row = await this.keys.insert({ name, prefix, secretHash, role });
    return { id: row.id, name: row.name, role: row.role, key };
  }

  /** Creates an admin key only when no active one exists; returns it so start-up can print it once. */
  async ensureAdminKey(): Promise<CreatedApiKey | null> {
    if ((await this.keys.countActive('admin')) > 0) return null;
    return this.createKey('bootstrap-admin', 'admin');
  }

  async listKeys(): Promise<ApiKeyView[]> {
    return (await this.keys.list()).map(toView);
  }

  async revokeKey(id: string): Promise<void> {
    if (!(await this.keys.revoke(id))) throw new NotFoundException(`No active API key with id ${id}`);
  }

  recordRequest(row: Omit<AuditLogEntity, 'id'>): Promise<void> {
    const write = this.audit.insert(row).finally(() => this.pendingAudit.delete(write));
    this.pendingAudit.add(write);
    return write;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.pendingAudit]);
  }

  auditPage(offset: number, limit: number, apiKeyId?: string): Promise<{ total: number; items: AuditLogEntity[] }> {
    return this.audit.page(offset, limit, apiKeyId);
  }
}

function toView(row: ApiKeyEntity): ApiKeyView {
  const { id, name, prefix, role, createdAt, revokedAt, lastUsedAt } = row;
  return { id, name, prefix, role, createdAt, revokedAt, lastUsedAt };
}
