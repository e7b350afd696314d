import * as fs from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { LesionCriteria } from '../vector-index/lesion-meta';
import { LesionEntity } from './lesion.entities';

export interface LesionFilter extends LesionCriteria {
  noisy?: boolean;
  patientIndex?: number;
  studyIndex?: number;
}

export interface CountRow {
  key: string | null;
  count: number;
}

@Injectable()
export class LesionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A lesion with its series, study and patient. */
  findById(id: number): Promise<LesionEntity | null> {
    return this.withJoins().where('lesion.id = :id', { id }).getOne();
  }

  /**
   * What a LesionView shows, for these lesions, in one plain query: the similar-search hot path, where
   * hydrating entities through the query builder cost more than the query itself.
   */
  async findForViews(ids: number[]): Promise<LesionEntity[]> {
    if (!ids.length) return [];
    const rows: ViewRow[] = await this.dataSource.query(
      `SELECT l.id, l.key_slice_index, l.lesion_in_image, l.box_x1, l.box_y1, l.box_x2, l.box_y2, l.recist,
              l.long_axis_px, l.short_axis_px, l.long_axis_mm, l.short_axis_mm, l.location_x, l.location_y, l.location_z,
              l.coarse_type, l.possibly_noisy, l.split, l.window_low, l.window_high, l.source_file_name, l.source_row,
              l.sop_instance_uid, se.series_index, se.spacing_x_mm, se.spacing_y_mm, se.spacing_z_mm, se.image_width,
              se.image_height, se.slice_first, se.slice_last, se.series_instance_uid, st.study_index, st.age_years,
              st.study_instance_uid, p.dataset, p.patient_index, p.sex
         FROM lesion l JOIN series se ON se.id = l.series_id JOIN study st ON st.id = se.study_id JOIN patient p ON p.id = st.patient_id
        WHERE l.id = ANY($1::int[])`,
      [ids],
    );
    return rows.map(
      (r) =>
        ({
          id: r.id,
          keySliceIndex: r.key_slice_index,
          lesionInImage: r.lesion_in_image,
          boxX1: r.box_x1,
          boxY1: r.box_y1,
          boxX2: r.box_x2,
          boxY2: r.box_y2,
          recist: r.recist,
          longAxisPx: r.long_axis_px,
          shortAxisPx: r.short_axis_px,
          longAxisMm: r.long_axis_mm,
          shortAxisMm: r.short_axis_mm,
          locationX: r.location_x,
          locationY: r.location_y,
          locationZ: r.location_z,
          coarseType: r.coarse_type,
          possiblyNoisy: r.possibly_noisy,
          split: r.split,
          windowLow: r.window_low,
          windowHigh: r.window_high,
          sourceFileName: r.source_file_name,
          sourceRow: r.source_row,
          sopInstanceUid: r.sop_instance_uid,
          series: {
            seriesIndex: r.series_index,
            spacingXmm: r.spacing_x_mm,
            spacingYmm: r.spacing_y_mm,
            spacingZmm: r.spacing_z_mm,
            imageWidth: r.image_width,
            imageHeight: r.image_height,
            sliceFirst: r.slice_first,
            sliceLast: r.slice_last,
            seriesInstanceUid: r.series_instance_uid,
            study: {
              studyIndex: r.study_index,
              ageYears: r.age_years,
              studyInstanceUid: r.study_instance_uid,
              patient: { dataset: r.dataset, patientIndex: r.patient_index, sex: r.sex },
            },
          },
        }) as LesionEntity,
    );
  }

  /** Lesions of the same patient in other studies. */
  findInOtherStudies(patientId: number, studyId: number): Promise<LesionEntity[]> {
    return this.withJoins()
      .where('lesion.patient_id = :patientId AND lesion.study_id <> :studyId', { patientId, studyId })
      .orderBy('study.study_index')
      .addOrderBy('lesion.id')
      .getMany();
  }

  /**
   * Deletes a lesion (its embeddings and tags go with it, by cascade) and, in the same transaction,
   * its series, study and patient when it was their last lesion, so /stats and every count see no
   * empty parents. The parents are locked first, patient → study → series, the order an import
   * upserts them in: an import into the same series either committed before (its lesions are seen,
   * the parents stay) or waits and re-creates them after. False when there was no such lesion.
   */
  async delete(id: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [lesion]: { series_id: number; study_id: number; patient_id: number }[] = await manager.query(
        `SELECT series_id, study_id, patient_id FROM lesion WHERE id = $1`,
        [id],
      );
      if (!lesion) return false;
      await manager.query(`SELECT id FROM patient WHERE id = $1 FOR UPDATE`, [lesion.patient_id]);
      await manager.query(`SELECT id FROM study WHERE id = $1 FOR UPDATE`, [lesion.study_id]);
      await manager.query(`SELECT id FROM series WHERE id = $1 FOR UPDATE`, [lesion.series_id]);
      const [, deleted]: [unknown, number] = await manager.query(`DELETE FROM lesion WHERE id = $1`, [id]);
      if (!deleted) return false;
      await manager.query(`DELETE FROM series s WHERE s.id = $1 AND NOT EXISTS (SELECT 1 FROM lesion l WHERE l.series_id = s.id)`, [lesion.series_id]);
      await manager.query(
        `DELETE FROM study st WHERE st.id = $1 AND NOT EXISTS (SELECT 1 FROM series se WHERE se.study_id = st.id) AND NOT EXISTS (SELECT 1 FROM lesion l WHERE l.study_id = st.id)`,
        [lesion.study_id],
      );
      await manager.query(
        `DELETE FROM patient p WHERE p.id = $1 AND NOT EXISTS (SELECT 1 FROM study st WHERE st.patient_id = p.id) AND NOT EXISTS (SELECT 1 FROM lesion l WHERE l.patient_id = p.id)`,
        [lesion.patient_id],
      );
      return true;
    });
  }

  /**
   * A page of lesions passing the filter. With `tagSql` (a compiled tag query returning lesion_id
   * and score) only its lesions, best score first; `scores` are theirs, in item order.
   */
  async page(filter: LesionFilter, offset: number, limit: number, tagSql?: string): Promise<{ total: number; items: LesionEntity[]; scores?: number[] }> {
    if (!tagSql) {
      const query = applyFilter(this.withJoins(), filter).orderBy('lesion.id', 'ASC').skip(offset).take(limit);
      const [items, total] = await query.getManyAndCount();
      return { total, items };
    }
    // Joins are many-to-one, so plain OFFSET/LIMIT pages correctly (no distinct-id subquery needed).
    const query = applyFilter(this.withJoins().innerJoin(`(${tagSql})`, 'tq', 'tq.lesion_id = lesion.id'), filter);
    const [total, { entities, raw }] = await Promise.all([
      // Joins are many-to-one, so count(*) is the member count; with no structured filter the tag
      // query alone says how many (an index-only count instead of three joins over every match).
      hasCriteria(filter)
        ? query
            .clone()
            .select('count(*)::int', 'n')
            .orderBy()
            .getRawOne<{ n: number }>()
            .then((r) => r?.n ?? 0)
        : this.dataSource.query(`SELECT count(*)::int AS n FROM (${tagSql}) tq`).then((rows: { n: number }[]) => rows[0].n),
      query
        .clone()
        .addSelect('tq.score', 'tag_score')
        .orderBy('tq.score', 'DESC')
        .addOrderBy('lesion.id', 'ASC')
        .offset(offset)
        .limit(limit)
        .getRawAndEntities(),
    ]);
    return { total, items: entities, scores: raw.map((r: { tag_score: number }) => Number(r.tag_score)) };
  }

  /** Lesions per value of a column; with `datasets`, only theirs. */
  async countBy(column: 'coarse_type' | 'split' | 'sex', datasets?: string[]): Promise<CountRow[]> {
    const expression = column === 'sex' ? 'patient.sex' : `lesion.${column}`;
    const rows: { key: string | null; count: string }[] = await this.dataSource.query(
      `SELECT ${expression}::text AS key, count(*) AS count FROM lesion JOIN patient ON patient.id = lesion.patient_id
        WHERE $1::text[] IS NULL OR patient.dataset = ANY($1::text[]) GROUP BY 1 ORDER BY 1`,
      [datasets ?? null],
    );
    return rows.map((r) => ({ key: r.key, count: Number(r.count) }));
  }

  /** Rows of each level; with `datasets`, only theirs. */
  async totals(datasets?: string[]): Promise<{ patients: number; studies: number; series: number; lesions: number }> {
    const [row] = await this.dataSource.query(
      datasets
        ? `WITH p AS (SELECT id FROM patient WHERE dataset = ANY($1::text[])), st AS (SELECT id FROM study WHERE patient_id IN (SELECT id FROM p))
           SELECT (SELECT count(*) FROM p) AS patients, (SELECT count(*) FROM st) AS studies,
                  (SELECT count(*) FROM series WHERE study_id IN (SELECT id FROM st)) AS series,
                  (SELECT count(*) FROM lesion WHERE patient_id IN (SELECT id FROM p)) AS lesions`
        : `SELECT (SELECT count(*) FROM patient) AS patients, (SELECT count(*) FROM study) AS studies,
                  (SELECT count(*) FROM series) AS series, (SELECT count(*) FROM lesion) AS lesions`,
      datasets ? [datasets] : [],
    );
    return { patients: Number(row.patients), studies: Number(row.studies), series: Number(row.series), lesions: Number(row.lesions) };
  }

  readImage(file: string): Promise<Buffer> {
    return fs.readFile(file);
  }

  private withJoins(): SelectQueryBuilder<LesionEntity> {
    return this.dataSource
      .getRepository(LesionEntity)
      .createQueryBuilder('lesion')
      .innerJoinAndSelect('lesion.series', 'series')
      .innerJoinAndSelect('series.study', 'study')
      .innerJoinAndSelect('study.patient', 'patient');
  }
}

/** True when any structured criterion is set. */
export function hasCriteria(filter: LesionFilter): boolean {
  return Object.values(filter).some((v) => v !== undefined && !(Array.isArray(v) && v.length === 0));
}

/** Every list filter as SQL on indexed columns. */
export function applyFilter<T extends object>(query: SelectQueryBuilder<T>, filter: LesionFilter): SelectQueryBuilder<T> {
  if (filter.coarseTypes?.length) query.andWhere('lesion.coarse_type IN (:...coarseTypes)', { coarseTypes: filter.coarseTypes });
  if (filter.sex) query.andWhere('patient.sex = :sex', { sex: filter.sex });
  if (filter.ageMin !== undefined) query.andWhere('study.age_years >= :ageMin', { ageMin: filter.ageMin });
  if (filter.ageMax !== undefined) query.andWhere('study.age_years <= :ageMax', { ageMax: filter.ageMax });
  if (filter.diameterMinMm !== undefined) query.andWhere('lesion.long_axis_mm >= :dMin', { dMin: filter.diameterMinMm });
  if (filter.diameterMaxMm !== undefined) query.andWhere('lesion.long_axis_mm <= :dMax', { dMax: filter.diameterMaxMm });
  if (filter.splits?.length) query.andWhere('lesion.split IN (:...splits)', { splits: filter.splits });
  if (filter.noisy !== undefined) query.andWhere('lesion.possibly_noisy = :noisy', { noisy: filter.noisy });
  if (filter.patientIndex !== undefined) query.andWhere('patient.patient_index = :patientIndex', { patientIndex: filter.patientIndex });
  if (filter.studyIndex !== undefined) query.andWhere('study.study_index = :studyIndex', { studyIndex: filter.studyIndex });
  if (filter.datasets) query.andWhere('patient.dataset IN (:...datasets)', { datasets: filter.datasets.length ? filter.datasets : [''] });
  return query;
}

/** One row of findForViews, as PostgreSQL names the columns. */
interface ViewRow {
  id: number;
  key_slice_index: number;
  lesion_in_image: number;
  box_x1: number;
  box_y1: number;
  box_x2: number;
  box_y2: number;
  recist: number[] | null;
  long_axis_px: number | null;
  short_axis_px: number | null;
  long_axis_mm: number | null;
  short_axis_mm: number | null;
  location_x: number | null;
  location_y: number | null;
  location_z: number | null;
  coarse_type: number;
  possibly_noisy: boolean;
  split: number | null;
  window_low: number | null;
  window_high: number | null;
  source_file_name: string;
  source_row: number | null;
  sop_instance_uid: string | null;
  series_index: number;
  spacing_x_mm: number | null;
  spacing_y_mm: number | null;
  spacing_z_mm: number | null;
  image_width: number | null;
  image_height: number | null;
  slice_first: number | null;
  slice_last: number | null;
  series_instance_uid: string | null;
  study_index: number;
  age_years: number | null;
  study_instance_uid: string | null;
  dataset: string;
  patient_index: number;
  sex: 'M' | 'F' | null;
}
