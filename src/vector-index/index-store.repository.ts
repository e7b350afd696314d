import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { bytesToVector } from './vector-codec';
import { LesionMeta } from './lesion-meta';

export interface SnapshotRecord {
  fileName: string;
  points: number;
  checksum: string;
  takenAt: Date;
  /** Change-log entries up to here are in the snapshot; null for snapshots older than the log. */
  logPosition: number | null;
}

const META_SQL = `
  SELECT e.label::int AS label, l.id AS lesion_id, l.patient_id, l.study_id, p.dataset, l.coarse_type, p.sex, st.age_years,
         l.long_axis_mm, l.split, l.location_x, l.location_y, l.location_z, e.created_at
    FROM lesion_embedding e
    JOIN lesion l ON l.id = e.lesion_id
    JOIN study st ON st.id = l.study_id
    JOIN patient p ON p.id = l.patient_id`;

/** The database side of the index: snapshot records, and the embeddings it is derived from. */
@Injectable()
export class IndexStoreRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async latestSnapshot(modelId: string): Promise<SnapshotRecord | null> {
    const rows = await this.dataSource.query(
      `SELECT file_name, points, checksum, taken_at, log_position::text AS log_position FROM vector_index_snapshot WHERE model_id = $1 ORDER BY id DESC LIMIT 1`,
      [modelId],
    );
    if (!rows.length) return null;
    const position = rows[0].log_position as string | null;
    return {
      fileName: rows[0].file_name,
      points: rows[0].points,
      checksum: rows[0].checksum,
      takenAt: rows[0].taken_at,
      logPosition: position === null ? null : Number(position),
    };
  }

  /** Records a snapshot and forgets older ones; returns their file names for deletion. */
  async recordSnapshot(modelId: string, snapshot: SnapshotRecord): Promise<string[]> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO vector_index_snapshot (model_id, file_name, points, checksum, taken_at, log_position) VALUES ($1, $2, $3, $4, $5, $6)`, [
        modelId,
        snapshot.fileName,
        snapshot.points,
        snapshot.checksum,
        snapshot.takenAt,
        snapshot.logPosition,
      ]);
      // A CTE, because TypeORM returns [rows, count] for a bare DELETE … RETURNING.
      const old: { file_name: string }[] = await manager.query(
        `WITH removed AS (DELETE FROM vector_index_snapshot WHERE model_id = $1 AND id < (SELECT max(id) FROM vector_index_snapshot WHERE model_id = $1) RETURNING file_name)
         SELECT file_name FROM removed`,
        [modelId],
      );
      return old.map((r) => r.file_name).filter((name) => name !== snapshot.fileName);
    });
  }

  /** Metadata of every embedded lesion for the model, with when its vector was written. */
  async allMeta(modelId: string): Promise<(LesionMeta & { createdAt: Date })[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(`${META_SQL} WHERE e.model_id = $1`, [modelId]);
    return rows.map(toMeta);
  }

  async metaForLabels(labels: number[]): Promise<LesionMeta[]> {
    if (!labels.length) return [];
    const rows: Record<string, unknown>[] = await this.dataSource.query(`${META_SQL} WHERE e.label = ANY($1::bigint[])`, [labels]);
    return rows.map(toMeta);
  }

  /** Metadata of the model's embeddings with these labels or of these lesions (rows that no longer exist are absent). */
  async metaForLabelsOrLesions(modelId: string, labels: number[], lesionIds: number[]): Promise<LesionMeta[]> {
    if (!labels.length && !lesionIds.length) return [];
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `${META_SQL} WHERE e.model_id = $1 AND (e.label = ANY($2::bigint[]) OR e.lesion_id = ANY($3::int[]))`,
      [modelId, labels, lesionIds],
    );
    return rows.map(toMeta);
  }

  async vectors(labels: number[]): Promise<Map<number, Float32Array>> {
    if (!labels.length) return new Map();
    const rows: { label: number; vector: Buffer }[] = await this.dataSource.query(
      `SELECT label::int AS label, vector FROM lesion_embedding WHERE label = ANY($1::bigint[])`,
      [labels],
    );
    return new Map(rows.map((r) => [r.label, bytesToVector(r.vector)]));
  }

  async countEmbeddings(modelId: string): Promise<number> {
    const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM lesion_embedding WHERE model_id = $1`, [modelId]);
    return n;
  }

  async now(): Promise<Date> {
    const [{ now }] = await this.dataSource.query('SELECT now() AS now');
    return now;
  }
}

function toMeta(r: Record<string, unknown>): LesionMeta & { createdAt: Date } {
  const x = r.location_x as number | null;
  return {
    label: r.label as number,
    lesionId: r.lesion_id as number,
    patientId: r.patient_id as number,
    studyId: r.study_id as number,
    dataset: r.dataset as string,
    coarseType: r.coarse_type as number,
    sex: (r.sex as string | null)?.trim() === 'M' ? 'M' : (r.sex as string | null)?.trim() === 'F' ? 'F' : null,
    ageYears: r.age_years as number | null,
    longAxisMm: r.long_axis_mm as number | null,
    split: r.split as number | null,
    location: x === null ? null : [x, r.location_y as number, r.location_z as number],
    createdAt: r.created_at as Date,
  };
}
