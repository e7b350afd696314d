import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ROLES = ['reader', 'curator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

@Entity('api_key')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') name: string;
  /** Public lookup part of the key; the secret part is only stored hashed. */
  @Column('text', { unique: true }) prefix: string;
  @Column('text', { name: 'secret_hash' }) secretHash: string;
  @Column('text') role: Role;
  /** The datasets (sites) the key may see; null: every dataset. */
  @Column('text', { array: true, nullable: true }) datasets: string[] | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
}

@Entity('audit_log')
export class AuditLogEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid', { name: 'api_key_id', nullable: true }) apiKeyId: string | null;
  @Column('text') method: string;
  /** The route pattern (`/api/v1/lesions/:id`), never the concrete URL, so no identifiers leak into the log. */
  @Column('text') route: string;
  @Column('smallint') status: number;
  /** sha256 of the query string and route parameters: comparable, not readable. */
  @Column('text', { name: 'query_hash', nullable: true }) queryHash: string | null;
  /** With `aggregated`, the slowest of the requests counted. */
  @Column('int', { name: 'duration_ms' }) durationMs: number;
  /** With `aggregated`, the start of the minute counted. */
  @Column('timestamptz') at: Date;
  /** Requests this row stands for: 1, or with `aggregated` those of its method, route, status and minute. */
  @Column('int', { name: 'request_count', default: 1 }) requestCount: number;
  /** Requests without a valid key are counted per method, route, status and minute, not listed one by one. */
  @Column('boolean', { default: false }) aggregated: boolean;
}

/** One answered request, as the audit hook reports it. */
export type AuditRecord = Omit<AuditLogEntity, 'id' | 'requestCount' | 'aggregated'>;
