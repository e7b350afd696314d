import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface StoredFeedback {
  id: number;
  queryLesionId: number;
  hitLesionId: number;
  relevant: boolean;
  keyName: string;
  createdAt: Date;
}

/** The search_feedback table: one answer per (query, hit, API key), the latest kept. */
@Injectable()
export class FeedbackRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Which of the ids are lesions. */
  async existingLesions(ids: number[]): Promise<Set<number>> {
    const rows: { id: number }[] = await this.dataSource.query(`SELECT id FROM lesion WHERE id = ANY($1::int[])`, [ids]);
    return new Set(rows.map((r) => r.id));
  }

  async upsert(entry: { queryLesionId: number; hitLesionId: number; relevant: boolean; keyId: string; keyName: string; modelId: string | null }): Promise<StoredFeedback> {
    const [row] = await this.dataSource.query(
      `INSERT INTO search_feedback (query_lesion_id, hit_lesion_id, relevant, key_id, key_name, model_id)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (query_lesion_id, hit_lesion_id, key_id)
       DO UPDATE SET relevant = EXCLUDED.relevant, key_name = EXCLUDED.key_name, model_id = EXCLUDED.model_id, created_at = now()
       RETURNING id, query_lesion_id, hit_lesion_id, relevant, key_name, created_at`,
      [entry.queryLesionId, entry.hitLesionId, entry.relevant, entry.keyId, entry.keyName, entry.modelId],
    );
    return { id: row.id, queryLesionId: row.query_lesion_id, hitLesionId: row.hit_lesion_id, relevant: row.relevant, keyName: row.key_name, createdAt: row.created_at };
  }
}
