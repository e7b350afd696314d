import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** One prior as stored: the lesion, its pseudonymous patient and study, its track. */
export interface PriorLesionRow {
  id: number;
  dataset: string;
  patientIndex: number;
  studyIndex: number;
  studyDate: string | null;
  longAxisMm: number | null;
  shortAxisMm: number | null;
  coarseType: number;
  trackId: number | null;
}

/** The SQL (and the secret file) behind the prior-lesion finder. */
@Injectable()
export class PriorLesionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The de-identification secret as the archive importer uses it: DEID_SECRET, or the one the embedded
   * database's imports generated under DATA_DIR. Never generated here: no import yet, no priors.
   */
  async secret(configured: string | null, embedded: boolean, dataDir: string): Promise<string | null> {
    if (configured) return configured;
    if (!embedded) return null;
    const stored = await fs.readFile(path.join(dataDir, 'deid-secret'), 'utf8').catch(() => null);
    return stored?.trim() || null;
  }

  /** Every lesion of the patients with this key hash (one per dataset), within `datasets` when given. */
  async lesionsOfPatientKey(keyHash: string, datasets: readonly string[] | null, limit: number): Promise<PriorLesionRow[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT l.id, p.dataset, p.patient_index, s.study_index, to_char(s.study_date, 'YYYY-MM-DD') AS study_date,
              l.long_axis_mm, l.short_axis_mm, l.coarse_type, tp.track_id
         FROM patient_pseudonym pp
         JOIN patient p ON p.dataset = pp.dataset AND p.patient_index = pp.patient_index
         JOIN lesion l ON l.patient_id = p.id
         JOIN study s ON s.id = l.study_id
         LEFT JOIN lesion_track_point tp ON tp.lesion_id = l.id
        WHERE pp.key_hash = $1 AND ($2::text[] IS NULL OR pp.dataset = ANY($2::text[]))
        ORDER BY s.study_date NULLS FIRST, p.dataset, s.study_index, l.id
        LIMIT $3`,
      [keyHash, datasets ? [...datasets] : null, limit],
    );
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return rows.map((r) => ({
      id: Number(r.id),
      dataset: String(r.dataset),
      patientIndex: Number(r.patient_index),
      studyIndex: Number(r.study_index),
      studyDate: (r.study_date as string | null) ?? null,
      longAxisMm: num(r.long_axis_mm),
      shortAxisMm: num(r.short_axis_mm),
      coarseType: Number(r.coarse_type),
      trackId: num(r.track_id),
    }));
  }
}
