import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { ApiKeyEntity, AuditLogEntity, Role } from './auth.entities';

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  insert(row: { name: string; prefix: string; secretHash: string; role: Role }): Promise<ApiKeyEntity> {
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

@Injectable()
export class AuditRepository {
  constructor(@InjectRepository(AuditLogEntity) private readonly audit: Repository<AuditLogEntity>) {}

  /** One statement per batch, arrays bound as parameters: the query builder's per-row work showed up under load. */
  async insertMany(rows: Omit<AuditLogEntity, 'id'>[]): Promise<void> {
    if (!rows.length) return;
    await this.audit.query(
      `INSERT INTO audit_log (api_key_id, method, route, status, query_hash, duration_ms, at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::int[], $7::timestamptz[])`,
      [rows.map((r) => r.apiKeyId), rows.map((r) => r.method), rows.map((r) => r.route), rows.map((r) => r.status), rows.map((r) => r.queryHash), rows.map((r) => r.durationMs), rows.map((r) => r.at)],
    );
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
