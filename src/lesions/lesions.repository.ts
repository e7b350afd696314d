import * as fs from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { LesionCriteria } from './lesion-criteria';
import { LesionEntity } from './lesion.entities';

export interface LesionFilter extends LesionCriteria {
  noisy?: boolean;
  patientIndex?: number;
  studyIndex?: number;
  dataset?: string;
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

  /** Lesions by id, with their series, study and patient (in no particular order). */
  findByIds(ids: number[]): Promise<LesionEntity[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.withJoins().where('lesion.id IN (:...ids)', { ids }).getMany();
  }

  /** Lesions of the same patient in other studies. */
  findInOtherStudies(patientId: number, studyId: number): Promise<LesionEntity[]> {
    return this.withJoins().where('lesion.patient_id = :patientId AND lesion.study_id <> :studyId', { patientId, studyId }).orderBy('study.study_index').addOrderBy('lesion.id').getMany();
  }

  /** Deletes a lesion (its embeddings go with it, by cascade); false when there was none. */
  async delete(id: number): Promise<boolean> {
    const result = await this.dataSource.getRepository(LesionEntity).delete({ id });
    return (result.affected ?? 0) > 0;
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
        ? query.clone().select('count(*)::int', 'n').orderBy().getRawOne<{ n: number }>().then((r) => r?.n ?? 0)
        : this.dataSource.query(`SELECT count(*)::int AS n FROM (${tagSql}) tq`).then((rows: { n: number }[]) => rows[0].n),
      query.clone().addSelect('tq.score', 'tag_score').orderBy('tq.score', 'DESC').addOrderBy('lesion.id', 'ASC').offset(offset).limit(limit).getRawAndEntities(),
    ]);
    return { total, items: entities, scores: raw.map((r: { tag_score: number }) => Number(r.tag_score)) };
  }

  async countBy(column: 'coarse_type' | 'split' | 'sex'): Promise<CountRow[]> {
    const expression = column === 'sex' ? 'patient.sex' : `lesion.${column}`;
    const rows: { key: string | null; count: string }[] = await this.dataSource.query(
      `SELECT ${expression}::text AS key, count(*) AS count FROM lesion JOIN patient ON patient.id = lesion.patient_id GROUP BY 1 ORDER BY 1`,
    );
    return rows.map((r) => ({ key: r.key, count: Number(r.count) }));
  }

  async totals(): Promise<{ patients: number; studies: number; series: number; lesions: number }> {
    const [row] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM patient) AS patients, (SELECT count(*) FROM study) AS studies,
              (SELECT count(*) FROM series) AS series, (SELECT count(*) FROM lesion) AS lesions`,
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
  if (filter.dataset) query.andWhere('patient.dataset = :dataset', { dataset: filter.dataset });
  return query;
}
