import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AssembledTrack } from './track-assembly';
import { ConstraintKind, LinkConstraint } from './track-constraints';

/** A lesion as growth needs it: its study's place in time and its measurements. */
export interface TrackLesion {
  lesionId: number;
  patientId: number;
  studyId: number;
  studyIndex: number;
  studyDate: string | null;
  ageYears: number | null;
  longAxisMm: number | null;
  shortAxisMm: number | null;
  coarseType: number;
  /** The patient's dataset (site). */
  dataset: string;
}

export interface StoredPoint {
  trackId: number;
  position: number;
  lesionId: number;
  linkScore: number | null;
  linkConfidence: number | null;
  linkDecidedBy: 'auto' | 'curator' | null;
}

export type TrackAction = 'confirm' | 'split' | 'merge' | 'unlink';

export interface StoredDecision extends LinkConstraint {
  decisionId: number;
  action: TrackAction;
  decidedBy: string | null;
  decidedAt: Date;
}

const LESION_COLUMNS = `l.id AS "lesionId", l.patient_id AS "patientId", l.study_id AS "studyId", st.study_index AS "studyIndex",
  to_char(st.study_date, 'YYYY-MM-DD') AS "studyDate", st.age_years AS "ageYears", l.long_axis_mm AS "longAxisMm",
  l.short_axis_mm AS "shortAxisMm", l.coarse_type AS "coarseType", (SELECT p.dataset FROM patient p WHERE p.id = l.patient_id) AS "dataset"`;

@Injectable()
export class GrowthRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Every lesion of a patient, in study order (date first where known, then index). */
  patientLesions(patientId: number, manager: EntityManager = this.dataSource.manager): Promise<TrackLesion[]> {
    return manager.query(
      `SELECT ${LESION_COLUMNS} FROM lesion l JOIN study st ON st.id = l.study_id
        WHERE l.patient_id = $1 ORDER BY st.study_date NULLS LAST, st.study_index, l.id`,
      [patientId],
    );
  }

  async lesion(lesionId: number): Promise<TrackLesion | null> {
    const rows: TrackLesion[] = await this.dataSource.query(`SELECT ${LESION_COLUMNS} FROM lesion l JOIN study st ON st.id = l.study_id WHERE l.id = $1`, [
      lesionId,
    ]);
    return rows[0] ?? null;
  }

  lesions(lesionIds: number[]): Promise<TrackLesion[]> {
    if (!lesionIds.length) return Promise.resolve([]);
    return this.dataSource.query(`SELECT ${LESION_COLUMNS} FROM lesion l JOIN study st ON st.id = l.study_id WHERE l.id = ANY($1::int[])`, [lesionIds]);
  }

  /** Patients whose tracks are missing or stale (lesions added or removed since the last build). */
  async stalePatients(patientIds?: number[], datasets?: string[]): Promise<number[]> {
    const rows: { id: number }[] = await this.dataSource.query(
      `SELECT p.id FROM patient p
         LEFT JOIN lesion_track_build b ON b.patient_id = p.id
         LEFT JOIN LATERAL (SELECT count(*)::int AS n FROM lesion WHERE lesion.patient_id = p.id) c ON true
        WHERE ($1::int[] IS NULL OR p.id = ANY($1::int[])) AND ($2::text[] IS NULL OR p.dataset = ANY($2::text[])) AND c.n > 0 AND (b.lesion_count IS DISTINCT FROM c.n)
        ORDER BY p.id`,
      [patientIds ?? null, datasets ?? null],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Runs `work` holding the patient's track lock (a transaction-scoped advisory lock), so two builds
   * or a build and a curator's edit of one patient never interleave.
   */
  withPatientLock<T>(patientId: number, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('lesion_track'), $1)`, [patientId]);
      // A lesion delete locks its patient row FOR UPDATE: sharing the lock waits for one in flight and holds
      // off new ones until the tracks are written, so no track point names a lesion deleted meanwhile.
      await manager.query(`SELECT id FROM patient WHERE id = $1 FOR SHARE`, [patientId]);
      return work(manager);
    });
  }

  /** Replaces the patient's tracks (decisions are kept: they are constraints, not tracks). */
  async replaceTracks(manager: EntityManager, patientId: number, tracks: AssembledTrack[], lesionCount: number): Promise<void> {
    await manager.query(`DELETE FROM lesion_track WHERE patient_id = $1`, [patientId]);
    if (tracks.length) {
      const ids: { id: number }[] = await manager.query(`INSERT INTO lesion_track (patient_id) SELECT $1 FROM generate_series(1, $2) RETURNING id`, [
        patientId,
        tracks.length,
      ]);
      const rows = tracks.flatMap((track, t) =>
        track.lesionIds.map((lesionId, position) => {
          const link = position > 0 ? track.links[position - 1] : null;
          return [ids[t].id, position, lesionId, link?.score ?? null, link ? Math.min(1, Math.max(0, link.confidence)) : null, link?.decidedBy ?? null];
        }),
      );
      const columns = ['track_id', 'position', 'lesion_id', 'link_score', 'link_confidence', 'link_decided_by'];
      const types = ['int[]', 'int[]', 'int[]', 'real[]', 'real[]', 'text[]'];
      await manager.query(
        `INSERT INTO lesion_track_point (${columns.join(', ')}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}`).join(', ')})`,
        columns.map((_, c) => rows.map((r) => r[c])),
      );
    }
    await manager.query(
      `INSERT INTO lesion_track_build (patient_id, lesion_count, built_at) VALUES ($1, $2, now())
       ON CONFLICT (patient_id) DO UPDATE SET lesion_count = EXCLUDED.lesion_count, built_at = now()`,
      [patientId, lesionCount],
    );
  }

  /** The points of the track holding this lesion, in order; empty when the lesion is in none. */
  async trackPointsOfLesion(lesionId: number): Promise<StoredPoint[]> {
    return this.dataSource.query(
      `SELECT p.track_id AS "trackId", p.position, p.lesion_id AS "lesionId", p.link_score AS "linkScore",
              p.link_confidence AS "linkConfidence", p.link_decided_by AS "linkDecidedBy"
         FROM lesion_track_point p WHERE p.track_id = (SELECT track_id FROM lesion_track_point WHERE lesion_id = $1)
        ORDER BY p.position`,
      [lesionId],
    );
  }

  /** Every track of these patients (all patients when omitted), as points in order. */
  async trackPoints(patientIds?: number[]): Promise<StoredPoint[]> {
    return this.dataSource.query(
      `SELECT p.track_id AS "trackId", p.position, p.lesion_id AS "lesionId", p.link_score AS "linkScore",
              p.link_confidence AS "linkConfidence", p.link_decided_by AS "linkDecidedBy"
         FROM lesion_track_point p JOIN lesion_track t ON t.id = p.track_id
        WHERE ($1::int[] IS NULL OR t.patient_id = ANY($1::int[]))
        ORDER BY p.track_id, p.position`,
      [patientIds ?? null],
    );
  }

  async decisions(patientId: number, manager: EntityManager = this.dataSource.manager): Promise<StoredDecision[]> {
    const rows: { id: number; action: TrackAction; kind: ConstraintKind; from: number; to: number | null; decided_by: string | null; decided_at: Date }[] =
      await manager.query(
        `SELECT id, action, kind, from_lesion_id AS "from", to_lesion_id AS "to", decided_by, decided_at FROM track_decision WHERE patient_id = $1 ORDER BY id`,
        [patientId],
      );
    return rows.map((r) => ({ decisionId: r.id, action: r.action, kind: r.kind, from: r.from, to: r.to, decidedBy: r.decided_by, decidedAt: r.decided_at }));
  }

  /** Stores new constraints of one edit; ones already stored (the same link, the same way) are kept as they are. */
  async addDecisions(manager: EntityManager, patientId: number, action: TrackAction, constraints: LinkConstraint[], decidedBy: string | null): Promise<void> {
    for (const c of constraints) {
      await manager.query(
        `INSERT INTO track_decision (patient_id, action, kind, from_lesion_id, to_lesion_id, decided_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING`,
        [patientId, action, c.kind, c.from, c.to, decidedBy],
      );
    }
  }

  /** Deletes a decision; its patient, or null when there was none. */
  /** The dataset of the patient a decision is about; null when there is no such decision. */
  async decisionDataset(id: number): Promise<string | null> {
    const rows: { dataset: string }[] = await this.dataSource.query(
      `SELECT p.dataset FROM track_decision d JOIN patient p ON p.id = d.patient_id WHERE d.id = $1`,
      [id],
    );
    return rows[0]?.dataset ?? null;
  }

  async deleteDecision(id: number): Promise<number | null> {
    const rows: [{ patient_id: number }[], number] = await this.dataSource.query(`DELETE FROM track_decision WHERE id = $1 RETURNING patient_id`, [id]);
    return rows[0][0]?.patient_id ?? null;
  }

  /** Study dates of a dataset's studies that have none yet, by patient and study index. */
  async fillStudyDates(dataset: string, dates: { patientIndex: number; studyIndex: number; date: string }[]): Promise<number> {
    if (!dates.length) return 0;
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE study st SET study_date = d.date::date
         FROM unnest($2::int[], $3::int[], $4::text[]) AS d(patient_index, study_index, date), patient p
        WHERE p.id = st.patient_id AND p.dataset = $1 AND p.patient_index = d.patient_index
          AND st.study_index = d.study_index AND st.study_date IS NULL`,
      [dataset, dates.map((d) => d.patientIndex), dates.map((d) => d.studyIndex), dates.map((d) => d.date)],
    );
    return result[1];
  }

  /** Whether any study of the dataset lacks a date. */
  async hasUndatedStudies(dataset: string): Promise<boolean> {
    const [row] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM study st JOIN patient p ON p.id = st.patient_id WHERE p.dataset = $1 AND st.study_date IS NULL) AS missing`,
      [dataset],
    );
    return row.missing;
  }
}
