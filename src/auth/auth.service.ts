import { BeforeApplicationShutdown, Inject, Injectable, Logger, NotFoundException, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { BadRequestException, ForbiddenException } from '@nestjs/common';
import { ALL_DATASETS, DATASET_NAME, DATASET_NAME_MESSAGE, DatasetScope, effectiveDatasets, filterWithinScope, MAX_DATASETS } from '../common/dataset-scope';
import { apiKeyMatches, generateApiKey, parseApiKey } from './api-key.codec';
import { AggregatedAuditRow, ApiKeysRepository, AuditRepository } from './api-keys.repository';
import { countAnonymousRequest, mergeCounts, retentionCutoff } from './audit-aggregation';
import { AuthenticatedKey } from './auth.decorators';
import { ApiKeyEntity, AuditLogEntity, AuditRecord, Role } from './auth.entities';

export interface CreatedApiKey {
  id: string;
  name: string;
  role: Role;
  /** The datasets the key may see; null: every dataset. */
  datasets: string[] | null;
  /** Shown once; only its hash is stored. */
  key: string;
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  datasets: string[] | null;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

// Writing last_used_at on every request would turn reads into writes; once a minute is enough.
const TOUCH_INTERVAL_MS = 60_000;
// A verified key is trusted this long without a database read; revocation in this process clears it at once.
const KEY_CACHE_MS = 10_000;
const KEY_CACHE_MAX = 10_000;
// Audit rows are written in batches: one insert per interval instead of one per request.
const AUDIT_FLUSH_MS = 200;
const AUDIT_MAX_BATCH = 500;
// Old audit rows are deleted at start and then this often (AUDIT_RETENTION_DAYS).
const AUDIT_PRUNE_EVERY_MS = 60 * 60_000;

@Injectable()
export class AuthService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Auth');
  /** Audit rows not yet written, and the write in flight; shutdown flushes both so no request goes unrecorded. */
  private auditBuffer: AuditRecord[] = [];
  /** Requests without a valid key, counted per method, route, status and minute until the next write. */
  private anonymousCounts = new Map<string, AggregatedAuditRow>();
  private pruneTimer: NodeJS.Timeout | null = null;
  private pruning: Promise<unknown> | null = null;
  private auditFlush: Promise<void> | null = null;
  private auditTimer: NodeJS.Timeout | null = null;
  private readonly keyCache = new Map<string, { key: AuthenticatedKey; until: number }>();

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly audit: AuditRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.audit.retentionDays === 0) return;
    const prune = () => {
      this.pruning ??= this.pruneAuditLog()
        .catch((error: Error) => this.logger.error(`Could not delete old audit rows: ${error.message}`))
        .finally(() => (this.pruning = null));
    };
    prune();
    this.pruneTimer = setInterval(prune, AUDIT_PRUNE_EVERY_MS).unref();
  }

  /** Deletes audit rows older than AUDIT_RETENTION_DAYS; returns how many. */
  async pruneAuditLog(now = new Date()): Promise<number> {
    const cutoff = retentionCutoff(now, this.config.audit.retentionDays);
    return cutoff ? this.audit.deleteOlderThan(cutoff) : 0;
  }

  async authenticate(rawKey: string | null): Promise<AuthenticatedKey | null> {
    const parsed = parseApiKey(rawKey);
    if (!parsed) return null;
    const cached = this.keyCache.get(parsed.key);
    if (cached && cached.until > Date.now()) return cached.key;
    const row = await this.keys.findActiveByPrefix(parsed.prefix);
    if (!row || !apiKeyMatches(parsed.key, row.secretHash)) return null;
    const now = new Date();
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await this.keys.touch(row.id, now);
    }
    const key: AuthenticatedKey = { id: row.id, name: row.name, role: row.role, datasets: row.datasets ? Object.freeze([...row.datasets]) : null };
    // Bounded: entries of keys no longer used stay until the next clear (a key revoked is dropped at once).
    if (this.keyCache.size >= KEY_CACHE_MAX) this.keyCache.clear();
    this.keyCache.set(parsed.key, { key, until: now.getTime() + KEY_CACHE_MS });
    return key;
  }

  /** A new key; with `datasets`, limited to those (checked like the ingest's names; null: every dataset). */
  async createKey(name: string, role: Role, datasets: readonly string[] | null = null): Promise<CreatedApiKey> {
    const limited = datasets === null ? null : checkedDatasetList(datasets);
    const { key, prefix, secretHash } = generateApiKey();
    const row = await this.keys.insert({ name, prefix, secretHash, role, datasets: limited });
    return { id: row.id, name: row.name, role: row.role, datasets: row.datasets ?? null, key };
  }

  /**
   * A key created by a key limited to datasets: limited to (a subset of) the creator's datasets, and to
   * all of them when none are named, so no key can hand out more than it sees.
   */
  async createScopedKey(name: string, role: Role, datasets: readonly string[] | null, creator: DatasetScope): Promise<CreatedApiKey> {
    const limited = creator.datasets === null ? datasets : effectiveDatasets(creator, datasets ?? undefined)!;
    return this.createKey(name, role, limited);
  }

  /** Creates an admin key only when no active one exists; returns it so start-up can print it once. */
  async ensureAdminKey(): Promise<CreatedApiKey | null> {
    if ((await this.keys.countActive('admin')) > 0) return null;
    return this.createKey('bootstrap-admin', 'admin');
  }

  /** Keys the scope may manage: with a scope, only keys limited to datasets inside it. */
  async listKeys(scope: DatasetScope = ALL_DATASETS): Promise<ApiKeyView[]> {
    return (await this.keys.list()).filter((k) => filterWithinScope(scope, k.datasets ?? undefined)).map(toView);
  }

  async revokeKey(id: string, scope: DatasetScope = ALL_DATASETS): Promise<void> {
    if (scope.datasets !== null && !(await this.listKeys(scope)).some((k) => k.id === id)) throw new NotFoundException(`No active API key with id ${id}`);
    if (!(await this.keys.revoke(id))) throw new NotFoundException(`No active API key with id ${id}`);
    for (const [raw, entry] of this.keyCache) if (entry.key.id === id) this.keyCache.delete(raw);
  }

  /** Keeps a row per request made with a valid key; requests without one are only counted (a flood of 401s adds no rows per request). */
  recordRequest(row: AuditRecord): void {
    if (row.apiKeyId === null) countAnonymousRequest(this.anonymousCounts, row);
    else this.auditBuffer.push(row);
    if (this.auditBuffer.length + this.anonymousCounts.size >= AUDIT_MAX_BATCH) void this.flushAudit();
    else this.auditTimer ??= setTimeout(() => void this.flushAudit(), AUDIT_FLUSH_MS);
  }

  /** Writes the buffered audit rows (one insert); a failed write is logged and its rows kept for the next try. */
  async flushAudit(): Promise<void> {
    if (this.auditTimer) clearTimeout(this.auditTimer);
    this.auditTimer = null;
    await this.auditFlush;
    const rows = this.auditBuffer;
    const counts = this.anonymousCounts;
    if (!rows.length && !counts.size) return;
    this.auditBuffer = [];
    this.anonymousCounts = new Map();
    this.auditFlush = Promise.all([
      this.audit.insertMany(rows).catch((error: Error) => {
        this.logger.error(`Could not write ${rows.length} audit row(s): ${error.message}`);
        this.auditBuffer.unshift(...rows.slice(0, AUDIT_MAX_BATCH * 10));
      }),
      this.audit.addCounts([...counts.values()]).catch((error: Error) => {
        this.logger.error(`Could not write ${counts.size} counted audit row(s): ${error.message}`);
        if (this.anonymousCounts.size < AUDIT_MAX_BATCH * 10) mergeCounts(this.anonymousCounts, counts);
      }),
    ]).then(() => undefined);
    await this.auditFlush;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.pruning;
    await this.flushAudit();
  }

  /** Flushes the buffer first, so a reader sees every request answered before theirs. */
  async auditPage(offset: number, limit: number, apiKeyId?: string, scope: DatasetScope = ALL_DATASETS): Promise<{ total: number; items: AuditLogEntity[] }> {
    if (scope.datasets !== null && !(apiKeyId && (await this.listKeys(scope)).some((k) => k.id === apiKeyId))) {
      throw new ForbiddenException('A key limited to datasets reads the audit rows of one of its keys only (apiKeyId)');
    }
    await this.flushAudit();
    return this.audit.page(offset, limit, apiKeyId);
  }
}

function toView(row: ApiKeyEntity): ApiKeyView {
  const { id, name, prefix, role, createdAt, revokedAt, lastUsedAt } = row;
  return { id, name, prefix, role, datasets: row.datasets ?? null, createdAt, revokedAt, lastUsedAt };
}

/** A key's dataset list: 1..MAX_DATASETS valid names, duplicates dropped, sorted; a 400 names what is wrong. */
export function checkedDatasetList(datasets: readonly string[]): string[] {
  if (datasets.length === 0) throw new BadRequestException('datasets must name at least one dataset (leave it out for every dataset)');
  if (datasets.length > MAX_DATASETS) throw new BadRequestException(`datasets may name at most ${MAX_DATASETS} datasets`);
  for (const name of datasets) if (typeof name !== 'string' || !DATASET_NAME.test(name)) throw new BadRequestException(`datasets: ${DATASET_NAME_MESSAGE}`);
  return [...new Set(datasets)].sort();
}
