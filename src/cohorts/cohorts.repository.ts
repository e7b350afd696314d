import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Cursor from 'pg-cursor';
import { DataSource } from 'typeorm';
import { PatientEntity, StudyEntity, LesionEntity } from '../lesions/lesion.entities';
import { applyFilter, LesionFilter } from '../lesions/lesions.repository';
import { AGE_BAND_SQL, ExportRow, SIZE_BAND_SQL } from './cohort-export';

/** A cohort definition resolved to what SQL needs. */
export interface MemberQuery {
  filter: LesionFilter;
  /** A compiled tag query (lesion_id, score), built from vocabulary ids only. */
  tagSql?: string;
  /** Only these lesions (the similar-to part, resolved through the vector index). */
  lesionIds?: number[];
}

export interface CohortVersionRow {
  cohortId: number;
  name: string;
  description: string | null;
  version: number;
  latestVersion: number;
  definition: unknown;
  memberCount: number;
  membersMd5: string;
  vocabularyVersion: number;
  labelsVersion: number;
  modelId: string | null;
  createdBy: string | null;
  createdAt: Date;
}

/** What a new version of a cohort records (its number, the cohort's name and the time are the repository's). */
export type NewCohortVersion = Pick<
  CohortVersionRow,
  'definition' | 'memberCount' | 'membersMd5' | 'vocabularyVersion' | 'labelsVersion' | 'modelId' | 'createdBy'
>;

export interface CountRow {
  dim: 'type' | 'sex' | 'age' | 'split' | 'size' | 'total';
  key: string | null;
  count: number;
}

@Injectable()
export class CohortsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The member ids' SQL (`SELECT id`) and its parameters. */
  memberSql(query: MemberQuery): [string, unknown[]] {
    const qb = this.dataSource
      .createQueryBuilder()
      .select('lesion.id', 'id')
      .from(LesionEntity, 'lesion')
      .innerJoin(PatientEntity, 'patient', 'patient.id = lesion.patient_id')
      .innerJoin(StudyEntity, 'study', 'study.id = lesion.study_id');
    applyFilter(qb, query.filter);
    if (query.tagSql) qb.innerJoin(`(${query.tagSql})`, 'tq', 'tq.lesion_id = lesion.id');
    if (query.lesionIds) qb.andWhere('lesion.id = ANY(:lesionIds)', { lesionIds: query.lesionIds });
    return qb.getQueryAndParameters();
  }

  /** Counts by type, sex, age band, split and size band, and the total, in one pass over the members. */
  async counts(query: MemberQuery): Promise<CountRow[]> {
    const [sql, params] = this.memberSql(query);
    const rows: {
      coarse_type: number | null;
      sex: string | null;
      age_band: string | null;
      split: number | null;
      size_band: string | null;
      g: number;
      count: number;
    }[] = await this.dataSource.query(
      `WITH members AS (${sql}),
       x AS (SELECT l.coarse_type, p.sex, ${AGE_BAND_SQL} AS age_band, l.split, ${SIZE_BAND_SQL} AS size_band
             FROM members m JOIN lesion l ON l.id = m.id JOIN patient p ON p.id = l.patient_id JOIN study s ON s.id = l.study_id)
       SELECT coarse_type, sex, age_band, split, size_band, GROUPING(coarse_type, sex, age_band, split, size_band)::int AS g, count(*)::int AS count
       FROM x GROUP BY GROUPING SETS ((coarse_type), (sex), (age_band), (split), (size_band), ())`,
      params,
    );
    // GROUPING's bit mask: a 0 bit marks the column grouped on (coarse_type is the highest bit).
    const dims: [number, CountRow['dim'], (r: (typeof rows)[number]) => string | null][] = [
      [0b01111, 'type', (r) => (r.coarse_type === null ? null : String(r.coarse_type))],
      [0b10111, 'sex', (r) => r.sex?.trim() || null],
      [0b11011, 'age', (r) => r.age_band],
      [0b11101, 'split', (r) => (r.split === null ? null : String(r.split))],
      [0b11110, 'size', (r) => r.size_band],
      [0b11111, 'total', () => null],
    ];
    return rows.flatMap((r) => dims.filter(([mask]) => mask === r.g).map(([, dim, key]) => ({ dim, key: key(r), count: r.count })));
  }

  /** A page of member ids, in id order (stable, so pages and exports agree). */
  async pageIds(query: MemberQuery, offset: number, limit: number): Promise<number[]> {
    const [sql, params] = this.memberSql(query);
    const rows: { id: number }[] = await this.dataSource.query(
      `WITH members AS (${sql}) SELECT id FROM members ORDER BY id LIMIT ${Number(limit)} OFFSET ${Number(offset)}`,
      params,
    );
    return rows.map((r) => r.id);
  }

  /** How many members and an md5 of their sorted ids: what a saved version is checked against. */
  async fingerprint(query: MemberQuery): Promise<{ count: number; md5: string }> {
    const [sql, params] = this.memberSql(query);
    const [row] = await this.dataSource.query(
      `WITH members AS (${sql}) SELECT count(*)::int AS count, md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')) AS md5 FROM members`,
      params,
    );
    return { count: row.count, md5: row.md5 };
  }

  /**
   * Streams every member with its metadata and tags through a server-side cursor, `batch` rows at a
   * time: memory stays flat however large the cohort. `onRows` may wait (back-pressure).
   */
  async streamMembers(query: MemberQuery, batch: number, onRows: (rows: ExportRow[]) => Promise<void>): Promise<number> {
    const [sql, params] = this.memberSql(query);
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as { query: (cursor: Cursor<ExportRow>) => Cursor<ExportRow> };
    let total = 0;
    try {
      const cursor = client.query(
        new Cursor<ExportRow>(
          `WITH members AS (${sql})
           SELECT l.id AS lesion_id, p.dataset, p.patient_index, s.study_index, se.series_index, l.key_slice_index, l.lesion_in_image,
                  l.source_file_name, l.source_row, l.box_x1, l.box_y1, l.box_x2, l.box_y2, l.long_axis_mm, l.short_axis_mm,
                  l.coarse_type, p.sex, s.age_years, l.split, l.possibly_noisy, l.location_x, l.location_y, l.location_z,
                  (SELECT string_agg(t.name || ':' || t.confidence || ':' || t.source, '|' ORDER BY t.confidence DESC, t.name)
                   FROM (SELECT DISTINCT ON (lt.term_id) v.name, round(lt.confidence::numeric, 3) AS confidence, lt.source
                         FROM lesion_tag lt JOIN vocabulary_term v ON v.id = lt.term_id
                         WHERE lt.lesion_id = l.id AND NOT lt.rejected ORDER BY lt.term_id, lt.confidence DESC) t) AS tags
           FROM members m JOIN lesion l ON l.id = m.id JOIN patient p ON p.id = l.patient_id
                JOIN study s ON s.id = l.study_id JOIN series se ON se.id = l.series_id
           ORDER BY l.id`,
          params,
        ),
      );
      try {
        for (;;) {
          const rows = await cursor.read(batch);
          if (!rows.length) break;
          total += rows.length;
          await onRows(rows);
        }
      } finally {
        await cursor.close();
      }
    } finally {
      await runner.release();
    }
    return total;
  }

  async createCohort(name: string, description: string | null, createdBy: string | null): Promise<number> {
    const [row] = await this.dataSource.query(`INSERT INTO cohort (name, description, created_by) VALUES ($1, $2, $3) RETURNING id`, [
      name,
      description,
      createdBy,
    ]);
    return row.id;
  }

  async updateDescription(cohortId: number, description: string): Promise<void> {
    await this.dataSource.query(`UPDATE cohort SET description = $2 WHERE id = $1`, [cohortId, description]);
  }

  /** Appends the next version (numbered under a row lock, so concurrent saves cannot collide). */
  async addVersion(cohortId: number, v: NewCohortVersion): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT id FROM cohort WHERE id = $1 FOR UPDATE`, [cohortId]);
      const [row] = await manager.query(
        `INSERT INTO cohort_version (cohort_id, version, definition, member_count, members_md5, vocabulary_version, labels_version, model_id, created_by)
         SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8 FROM cohort_version WHERE cohort_id = $1
         RETURNING version`,
        [cohortId, JSON.stringify(v.definition), v.memberCount, v.membersMd5, v.vocabularyVersion, v.labelsVersion, v.modelId, v.createdBy],
      );
      return row.version as number;
    });
  }

  async findVersion(cohortId: number, version?: number): Promise<CohortVersionRow | null> {
    const rows = await this.dataSource.query(
      `SELECT c.id, c.name, c.description, v.version, v.definition, v.member_count, v.members_md5, v.vocabulary_version, v.labels_version, v.model_id, v.created_by, v.created_at,
              (SELECT max(version) FROM cohort_version WHERE cohort_id = c.id) AS latest
       FROM cohort c JOIN cohort_version v ON v.cohort_id = c.id
       WHERE c.id = $1 AND ($2::int IS NULL OR v.version = $2) ORDER BY v.version DESC LIMIT 1`,
      [cohortId, version ?? null],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      cohortId: r.id,
      name: r.name,
      description: r.description,
      version: r.version,
      latestVersion: r.latest,
      definition: r.definition,
      memberCount: r.member_count,
      membersMd5: r.members_md5,
      vocabularyVersion: Number(r.vocabulary_version),
      labelsVersion: Number(r.labels_version),
      modelId: r.model_id,
      createdBy: r.created_by,
      createdAt: r.created_at,
    };
  }

  async exists(cohortId: number): Promise<boolean> {
    return (await this.dataSource.query(`SELECT 1 FROM cohort WHERE id = $1`, [cohortId])).length > 0;
  }

  /** Every cohort's latest version, with the dataset filter of its definition (a name, a list, or null). */
  async list(): Promise<
    {
      id: number;
      name: string;
      description: string | null;
      version: number;
      memberCount: number;
      createdAt: Date;
      createdBy: string | null;
      datasetFilter: unknown;
    }[]
  > {
    const rows = await this.dataSource.query(
      `SELECT DISTINCT ON (c.id) c.id, c.name, c.description, v.version, v.member_count, v.created_at, v.created_by, v.definition->'criteria'->'dataset' AS dataset_filter
       FROM cohort c JOIN cohort_version v ON v.cohort_id = c.id ORDER BY c.id DESC, v.version DESC`,
    );
    return rows.map((r: Record<string, unknown>) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      version: r.version,
      memberCount: r.member_count,
      createdAt: r.created_at,
      createdBy: r.created_by,
      datasetFilter: r.dataset_filter,
    }));
  }

  async delete(cohortId: number): Promise<boolean> {
    const rows = await this.dataSource.query(`WITH gone AS (DELETE FROM cohort WHERE id = $1 RETURNING 1) SELECT count(*)::int AS n FROM gone`, [cohortId]);
    return rows[0].n > 0;
  }
}
