import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FeedbackMark, lesionKey } from '../ml/projection/feedback-pairs';

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

  async upsert(entry: {
    queryLesionId: number;
    hitLesionId: number;
    relevant: boolean;
    keyId: string;
    keyName: string;
    modelId: string | null;
  }): Promise<StoredFeedback> {
    const [row] = await this.dataSource.query(
      `INSERT INTO search_feedback (query_lesion_id, hit_lesion_id, relevant, key_id, key_name, model_id)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (query_lesion_id, hit_lesion_id, key_id)
       DO UPDATE SET relevant = EXCLUDED.relevant, key_name = EXCLUDED.key_name, model_id = EXCLUDED.model_id, created_at = now()
       RETURNING id, query_lesion_id, hit_lesion_id, relevant, key_name, created_at`,
      [entry.queryLesionId, entry.hitLesionId, entry.relevant, entry.keyId, entry.keyName, entry.modelId],
    );
    return {
      id: row.id,
      queryLesionId: row.query_lesion_id,
      hitLesionId: row.hit_lesion_id,
      relevant: row.relevant,
      keyName: row.key_name,
      createdAt: row.created_at,
    };
  }

  /** Every mark, both lesions named by their natural key so a training set read from a CSV can match them. */
  async trainingMarks(dataset?: string): Promise<FeedbackMark[]> {
    const rows: { relevant: boolean; q: LesionKeyRow; h: LesionKeyRow }[] = await this.dataSource.query(
      `SELECT f.relevant,
              json_build_object('patientIndex', qp.patient_index, 'studyIndex', qs.study_index, 'seriesIndex', qr.series_index,
                                'keySliceIndex', ql.key_slice_index, 'lesionInImage', ql.lesion_in_image) AS q,
              json_build_object('patientIndex', hp.patient_index, 'studyIndex', hs.study_index, 'seriesIndex', hr.series_index,
                                'keySliceIndex', hl.key_slice_index, 'lesionInImage', hl.lesion_in_image) AS h
         FROM search_feedback f
         JOIN lesion ql ON ql.id = f.query_lesion_id JOIN series qr ON qr.id = ql.series_id
         JOIN study qs ON qs.id = qr.study_id JOIN patient qp ON qp.id = qs.patient_id
         JOIN lesion hl ON hl.id = f.hit_lesion_id JOIN series hr ON hr.id = hl.series_id
         JOIN study hs ON hs.id = hr.study_id JOIN patient hp ON hp.id = hs.patient_id
        WHERE $1::text IS NULL OR (qp.dataset = $1 AND hp.dataset = $1)
        ORDER BY f.id`,
      [dataset ?? null],
    );
    return rows.map((r) => ({ queryKey: lesionKey(r.q), hitKey: lesionKey(r.h), relevant: r.relevant }));
  }
}

type LesionKeyRow = { patientIndex: number; studyIndex: number; seriesIndex: number; keySliceIndex: number; lesionInImage: number };
