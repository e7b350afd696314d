import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { ApiKeyEntity, AuditLogEntity, AuditRecord, Role } from './auth.entities';

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  insert(row: { name: string; prefix: string; secretHash: string; role: Role; datasets: string[] | null }): Promise<ApiKeyEntity> {
    return this.keys.save(this.keys.create(row));
  }

  findActiveByPrefix(prefix: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOne({ where: { prefix, revokedAt: IsNull() } });
  }

  list(): Promise<ApiKeyEntity[]> {
    return this.keys.find({ order: { createdAt: 'ASC' } });
  }

  countActive(role: Role): Promise<number> {
    return this.keys.count({ where: { role, revokedAt: IsNull() } });
  }

  async revoke(id: string): Promise<boolean> {
    const result = await this.keys.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.keys.update({ id }, { lastUsedAt: at });
  }
}

/** unnest's parameters: one array per column, in the statement's order. */
function columns<T, K extends keyof T>(rows: readonly T[], keys: readonly K[]): T[K][][] {
  return keys.map((key) => rows.map((row) => row[key]));
}

@Injectable()
export class AuditRepository {
  constructor(@InjectRepository(AuditLogEntity) private readonly audit: Repository<AuditLogEntity>) {}

  /** One statement per batch, arrays bound as parameters: the query builder's per-row work showed up under load. */
  async insertMany(rows: AuditRecord[]): Promise<void> {
    if (!rows.length) return;
    await this.audit.query(
      `INSERT INTO audit_log (api_key_id, method, route, status, query_hash, duration_ms, at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::int[], $7::timestamptz[])`,
      columns(rows, ['apiKeyId', 'method', 'route', 'status', 'queryHash', 'durationMs', 'at']),
    );
  }

  /**
   * Adds counted requests to their (method, route, status, minute) rows, creating them as needed;
   * `rows` must hold each key once (one statement cannot update a row twice).
   */
  async addCounts(rows: AggregatedAuditRow[]): Promise<void> {
    if (!rows.length) return;
    await this.audit.query(
      `INSERT INTO audit_log (api_key_id, method, route, status, query_hash, duration_ms, at, request_count, aggregated)
       SELECT NULL, u.method, u.route, u.status, NULL, u.duration_ms, u.at, u.n, true
         FROM unnest($1::text[], $2::text[], $3::smallint[], $4::int[], $5::timestamptz[], $6::int[]) AS u(method, route, status, duration_ms, at, n)
       ON CONFLICT (method, route, status, at) WHERE aggregated
       DO UPDATE SET request_count = audit_log.request_count + EXCLUDED.request_count, duration_ms = GREATEST(audit_log.duration_ms, EXCLUDED.duration_ms)`,
      columns(rows, ['method', 'route', 'status', 'durationMs', 'minute', 'count']),
    );
  }

  /** Deletes rows older than `cutoff`, a batch at a time (short transactions on a large log); returns how many. */
  async deleteOlderThan(cutoff: Date, batchSize = 10_000): Promise<number> {
    let total = 0;
    for (;;) {
      const [, deleted]: [unknown, number] = await this.audit.query(`DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 LIMIT $2)`, [
        cutoff,
        batchSize,
      ]);
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }

  async page(offset: number, limit: number, apiKeyId?: string): Promise<{ total: number; items: AuditLogEntity[] }> {
    const [items, total] = await this.audit.findAndCount({
      where: apiKeyId ? { apiKeyId } : {},
      order: { id: 'DESC' },
      skip: offset,
      take: limit,
    });
    return { total, items };
  }
}

/** Requests without a valid key of one method, route, status and minute, counted. */
export interface AggregatedAuditRow {
  method: string;
  route: string;
  status: number;
  /** Start of the minute. */
  minute: Date;
  count: number;
  /** The slowest of them. */
  durationMs: number;
}
