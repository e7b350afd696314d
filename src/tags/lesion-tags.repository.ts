import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { TagSource } from './vocabulary/vocabulary';

export interface LesionTagRow {
  lesionId: number;
  term: string;
  termId: number;
  source: TagSource;
  confidence: number;
  uncertain: boolean;
  rejected: boolean;
  modelId: string | null;
  createdBy: string | null;
  createdAt: Date;
}

export interface NewTag {
  lesionId: number;
  termId: number;
  confidence: number;
  uncertain?: boolean;
}

/** Labels a prediction learns from: per lesion, its (non-predicted) terms. */
export interface LabelledLesion {
  lesionId: number;
  patientId: number;
  split: number | null;
  coarseType: number;
  termIds: number[];
  /** Has any tag from a curator or a report (so a missing term is a negative, not an unknown). */
  reported: boolean;
}

const LABEL_SOURCES: TagSource[] = ['curator', 'report_label', 'report_mined', 'coarse_type'];

// A running prediction run belongs to the process holding the session advisory lock (this class
// key, the run id) on a connection of its own: the lock goes with the process, so another process
// (a CLI start) tells a live run from one whose owner died without a heartbeat column.
const RUN_LOCK_CLASS = 0x74616770; // 'tagp'

@Injectable()
export class LesionTagsRepository {
  /** Connections holding the lock of each run this process is running. */
  private readonly runOwners = new Map<number, QueryRunner>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async tagsOf(lesionIds: number[]): Promise<LesionTagRow[]> {
    if (!lesionIds.length) return [];
    const rows = await this.dataSource.query(
      `SELECT t.lesion_id, v.name AS term, t.term_id, t.source, t.confidence, t.uncertain, t.rejected, t.model_id, t.created_by, t.created_at
       FROM lesion_tag t JOIN vocabulary_term v ON v.id = t.term_id WHERE t.lesion_id = ANY($1::int[])
       ORDER BY t.lesion_id, t.rejected, t.confidence DESC, v.name`,
      [lesionIds],
    );
    return rows.map((r: Record<string, unknown>) => ({
      lesionId: r.lesion_id as number,
      term: r.term as string,
      termId: r.term_id as number,
      source: r.source as TagSource,
      confidence: Number(r.confidence),
      uncertain: r.uncertain as boolean,
      rejected: r.rejected as boolean,
      modelId: r.model_id as string | null,
      createdBy: r.created_by as string | null,
      createdAt: r.created_at as Date,
    }));
  }

  /** Runs a compiled tag query (SQL built from vocabulary ids only) for its lesion ids. */
  async lesionIdsMatching(tagSql: string): Promise<Set<number>> {
    const rows: { lesion_id: number }[] = await this.dataSource.query(`SELECT lesion_id FROM (${tagSql}) q`);
    return new Set(rows.map((r) => r.lesion_id));
  }

  /** The lesion's dataset; null when there is no such lesion. */
  async lesionDataset(id: number): Promise<string | null> {
    const rows: { dataset: string }[] = await this.dataSource.query(`SELECT p.dataset FROM lesion l JOIN patient p ON p.id = l.patient_id WHERE l.id = $1`, [
      id,
    ]);
    return rows[0]?.dataset ?? null;
  }

  /** A curator's tag: confirms the term (and lifts an earlier rejection of it). */
  async addCuratorTag(lesionId: number, termId: number, createdBy: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO lesion_tag (lesion_id, term_id, source, confidence, rejected, created_by) VALUES ($1, $2, 'curator', 1, false, $3)
       ON CONFLICT (lesion_id, term_id, source) DO UPDATE SET rejected = false, confidence = 1, created_by = EXCLUDED.created_by, created_at = now()`,
      [lesionId, termId, createdBy],
    );
    await this.bumpLabelsVersion(this.dataSource.manager);
  }

  /**
   * A curator removes a term: every tag of it and of its descendants goes ("not lung" rules out "right
   * lung nodule" too), and rejections stay behind so report mining or prediction cannot bring them
   * back. `termIds` is the term with its descendants. Returns how many live tags were removed.
   */
  async rejectTerms(lesionId: number, termIds: number[], createdBy: string): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const removed = await manager.query(
        `WITH gone AS (DELETE FROM lesion_tag WHERE lesion_id = $1 AND term_id = ANY($2::int[]) RETURNING rejected) SELECT count(*) FILTER (WHERE NOT rejected)::int AS n FROM gone`,
        [lesionId, termIds],
      );
      await manager.query(
        `INSERT INTO lesion_tag (lesion_id, term_id, source, confidence, rejected, created_by) SELECT $1, t, 'curator', 0, true, $3 FROM unnest($2::int[]) AS t`,
        [lesionId, termIds, createdBy],
      );
      await this.bumpLabelsVersion(manager);
      return removed[0].n as number;
    });
  }

  /**
   * Replaces every tag of one source on these lesions with new ones (a re-mined report, imported
   * labels, fresh predictions), in one transaction. Terms a curator rejected are skipped.
   */
  async replaceSourceTags(
    source: TagSource,
    lesionIds: number[],
    tags: NewTag[],
    extra: { modelId?: string; createdBy?: string; bumpLabels?: boolean } = {},
  ): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`DELETE FROM lesion_tag WHERE source = $1 AND lesion_id = ANY($2::int[]) AND NOT rejected`, [source, lesionIds]);
      const inserted = await insertTags(manager, source, tags, extra);
      if (extra.bumpLabels) await this.bumpLabelsVersion(manager);
      return inserted;
    });
  }

  async saveReport(lesionId: number, text: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO lesion_report (lesion_id, text) VALUES ($1, $2) ON CONFLICT (lesion_id) DO UPDATE SET text = EXCLUDED.text, updated_at = now()`,
      [lesionId, text],
    );
  }

  /** Lesions of a dataset that have no stored report yet, with their source row. */
  async lesionsWithoutReport(dataset: string): Promise<{ lesionId: number; sourceRow: number | null }[]> {
    const rows: { id: number; source_row: number | null }[] = await this.dataSource.query(
      `SELECT l.id, l.source_row FROM lesion l JOIN patient p ON p.id = l.patient_id
       WHERE p.dataset = $1 AND NOT EXISTS (SELECT 1 FROM lesion_report r WHERE r.lesion_id = l.id) ORDER BY l.id`,
      [dataset],
    );
    return rows.map((r) => ({ lesionId: r.id, sourceRow: r.source_row }));
  }

  async reportOf(lesionId: number): Promise<string | null> {
    const rows = await this.dataSource.query(`SELECT text FROM lesion_report WHERE lesion_id = $1`, [lesionId]);
    return rows[0]?.text ?? null;
  }

  /**
   * Tags every lesion of a known coarse type with its term (DeepLesion's own label). Idempotent and
   * cheap to repeat: only lesions without that tag are written.
   */
  async syncCoarseTypeTags(termIdByType: Map<number, number>): Promise<number> {
    if (!termIdByType.size) return 0;
    const types = [...termIdByType.keys()];
    const rows = await this.dataSource.query(
      `WITH added AS (
         INSERT INTO lesion_tag (lesion_id, term_id, source, confidence)
         SELECT l.id, m.term_id, 'coarse_type', 1 FROM lesion l JOIN unnest($1::int[], $2::int[]) AS m(coarse_type, term_id) ON m.coarse_type = l.coarse_type
         WHERE NOT EXISTS (SELECT 1 FROM lesion_tag t WHERE t.lesion_id = l.id AND t.term_id = m.term_id AND (t.source = 'coarse_type' OR t.rejected))
         ON CONFLICT DO NOTHING RETURNING 1)
       SELECT count(*)::int AS n FROM added`,
      [types, types.map((t) => termIdByType.get(t)!)],
    );
    const added = rows[0].n as number;
    if (added) await this.bumpLabelsVersion(this.dataSource.manager);
    return added;
  }

  /** Lesions by their row in a dataset's source CSV (LesaNet's label files index DL_info.csv rows). */
  async lesionIdsBySourceRow(rows: number[], dataset?: string): Promise<Map<number, number>> {
    if (!rows.length) return new Map();
    const found: { id: number; source_row: number }[] = await this.dataSource.query(
      `SELECT l.id, l.source_row FROM lesion l JOIN patient p ON p.id = l.patient_id
       WHERE l.source_row = ANY($1::int[]) AND ($2::text IS NULL OR p.dataset = $2)`,
      [rows, dataset ?? null],
    );
    return new Map(found.map((r) => [r.source_row, r.id]));
  }

  /** Every lesion with the labels a prediction may learn from (curated, reported, coarse type). */
  async labelledLesions(): Promise<LabelledLesion[]> {
    const rows: { lesion_id: number; patient_id: number; split: number | null; coarse_type: number; term_ids: number[] | null; reported: boolean }[] =
      await this.dataSource.query(
        `SELECT l.id AS lesion_id, l.patient_id, l.split, l.coarse_type,
              array_agg(t.term_id) FILTER (WHERE t.term_id IS NOT NULL AND NOT t.rejected AND NOT t.uncertain) AS term_ids,
              coalesce(bool_or(t.source IN ('curator', 'report_label', 'report_mined')), false) AS reported
       FROM lesion l LEFT JOIN lesion_tag t ON t.lesion_id = l.id AND t.source = ANY($1::text[])
       GROUP BY l.id ORDER BY l.id`,
        [LABEL_SOURCES],
      );
    return rows.map((r) => ({
      lesionId: r.lesion_id,
      patientId: r.patient_id,
      split: r.split,
      coarseType: r.coarse_type,
      termIds: r.term_ids ?? [],
      reported: r.reported,
    }));
  }

  /** Terms a curator rejected, per lesion: predictions leave them out. */
  async rejectedTerms(): Promise<Map<number, Set<number>>> {
    const rows: { lesion_id: number; term_id: number }[] = await this.dataSource.query(`SELECT lesion_id, term_id FROM lesion_tag WHERE rejected`);
    const result = new Map<number, Set<number>>();
    for (const r of rows) {
      if (!result.has(r.lesion_id)) result.set(r.lesion_id, new Set());
      result.get(r.lesion_id)!.add(r.term_id);
    }
    return result;
  }

  async labelsVersion(): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT value FROM tag_state WHERE key = 'labels_version'`);
    return Number(row?.value ?? 1);
  }

  /** Replaces all predicted tags (the whole archive's) with a new set, in one transaction. */
  async replaceAllPredictions(tags: NewTag[], modelId: string): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`DELETE FROM lesion_tag WHERE source = 'predicted'`);
      return insertTags(manager, 'predicted', tags, { modelId });
    });
  }

  /** Inserts a 'running' run owned by this process until finishPredictionRun (see RUN_LOCK_CLASS). */
  async startPredictionRun(modelId: string, labelsVersion: number): Promise<number> {
    const owner = this.dataSource.createQueryRunner();
    await owner.connect();
    try {
      // Locked before the row is visible, so no other process ever sees it running and unowned.
      await owner.startTransaction();
      const [row] = await owner.query(`INSERT INTO tag_prediction_run (model_id, labels_version, status) VALUES ($1, $2, 'running') RETURNING id`, [
        modelId,
        labelsVersion,
      ]);
      await owner.query('SELECT pg_advisory_lock($1::int, $2::int)', [RUN_LOCK_CLASS, row.id]);
      await owner.commitTransaction();
      this.runOwners.set(row.id, owner);
      return row.id;
    } catch (error) {
      if (owner.isTransactionActive) await owner.rollbackTransaction().catch(() => undefined);
      await owner.release();
      throw error;
    }
  }

  async finishPredictionRun(
    id: number,
    result: { status: 'done' | 'failed'; lesions?: number; tags?: number; calibration?: unknown; error?: string },
  ): Promise<void> {
    try {
      await this.dataSource.query(
        `UPDATE tag_prediction_run SET status = $2, lesions = coalesce($3, lesions), tags = coalesce($4, tags), calibration = $5, error = $6, finished_at = now() WHERE id = $1`,
        [
          id,
          result.status,
          result.lesions ?? null,
          result.tags ?? null,
          result.calibration === undefined ? null : JSON.stringify(result.calibration),
          result.error ?? null,
        ],
      );
    } finally {
      const owner = this.runOwners.get(id);
      this.runOwners.delete(id);
      if (owner) {
        await owner.query('SELECT pg_advisory_unlock($1::int, $2::int)', [RUN_LOCK_CLASS, id]).catch(() => undefined);
        await owner.release();
      }
    }
  }

  async latestPredictionRun(): Promise<{
    id: number;
    modelId: string;
    labelsVersion: number;
    status: string;
    lesions: number;
    tags: number;
    startedAt: Date;
    finishedAt: Date | null;
    error: string | null;
  } | null> {
    const [row] = await this.dataSource.query(`SELECT * FROM tag_prediction_run ORDER BY id DESC LIMIT 1`);
    if (!row) return null;
    return {
      id: row.id,
      modelId: row.model_id,
      labelsVersion: Number(row.labels_version),
      status: row.status,
      lesions: row.lesions,
      tags: row.tags,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      error: row.error,
    };
  }

  /**
   * Runs left 'running' by a process that died are failed, so a new run can start. A run whose
   * owner still holds its lock (the server, while a CLI starts) is left alone. The transaction-scoped
   * try-lock is released when this statement commits.
   */
  async failStaleRuns(): Promise<number> {
    const [, affected] = await this.dataSource.query(
      `UPDATE tag_prediction_run SET status = 'failed', error = 'interrupted', finished_at = now()
        WHERE status = 'running' AND pg_try_advisory_xact_lock($1::int, id)`,
      [RUN_LOCK_CLASS],
    );
    return affected as number;
  }

  private async bumpLabelsVersion(manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE tag_state SET value = value + 1 WHERE key = 'labels_version'`);
  }
}

async function insertTags(manager: EntityManager, source: TagSource, tags: NewTag[], extra: { modelId?: string; createdBy?: string }): Promise<number> {
  // One row per (lesion, term): an INSERT may not update the same row twice.
  const unique = new Map<string, NewTag>();
  for (const t of tags) {
    const key = `${t.lesionId}:${t.termId}`;
    const seen = unique.get(key);
    if (!seen || t.confidence > seen.confidence) unique.set(key, t);
  }
  tags = [...unique.values()];
  let inserted = 0;
  for (let start = 0; start < tags.length; start += 20_000) {
    const chunk = tags.slice(start, start + 20_000);
    const rows = await manager.query(
      `WITH added AS (
         INSERT INTO lesion_tag (lesion_id, term_id, source, confidence, uncertain, model_id, created_by)
         SELECT n.lesion_id, n.term_id, $1, n.confidence, n.uncertain, $6, $7
         FROM unnest($2::int[], $3::int[], $4::real[], $5::bool[]) AS n(lesion_id, term_id, confidence, uncertain)
         WHERE NOT EXISTS (SELECT 1 FROM lesion_tag r WHERE r.lesion_id = n.lesion_id AND r.term_id = n.term_id AND r.rejected)
         ON CONFLICT (lesion_id, term_id, source) DO UPDATE SET confidence = GREATEST(lesion_tag.confidence, EXCLUDED.confidence), uncertain = lesion_tag.uncertain AND EXCLUDED.uncertain
         RETURNING 1)
       SELECT count(*)::int AS n FROM added`,
      [
        source,
        chunk.map((t) => t.lesionId),
        chunk.map((t) => t.termId),
        chunk.map((t) => t.confidence),
        chunk.map((t) => t.uncertain ?? false),
        extra.modelId ?? null,
        extra.createdBy ?? null,
      ],
    );
    inserted += rows[0].n as number;
  }
  return inserted;
}
