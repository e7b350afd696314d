import * as fs from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EncoderManifest } from '../ml/encoder-manifest';

export const MODEL_STATUSES = ['registered', 'embedding', 'ready', 'active', 'retired'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];

export interface RegisteredModel {
  id: string;
  /** The manifest's name. */
  name: string;
  /** The folder under MODELS_DIR it loads from; null for rows written before the registry. */
  folder: string | null;
  dim: number;
  status: ModelStatus;
  progress: { embedded: number; total: number };
  createdAt: Date;
  activatedAt: Date | null;
  /** Becomes active once its embedding is done (the latest registration's `activate`). */
  activateWhenReady: boolean;
}

const COLUMNS = `id, name, folder, dim, status, embedded, total, created_at, activated_at, activate_when_ready`;

/** The encoder_model registry and the model folders on disk. */
@Injectable()
export class ModelRegistryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async isDirectory(dir: string): Promise<boolean> {
    return fs.stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
  }

  async list(): Promise<RegisteredModel[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM encoder_model ORDER BY created_at, id`);
    return rows.map(toModel);
  }

  async get(id: string): Promise<RegisteredModel | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM encoder_model WHERE id = $1`, [id]);
    return rows.length ? toModel(rows[0]) : null;
  }

  /**
   * Registers a model to embed: a new row, or an existing one set to embedding again (which embeds the lesions
   * imported since it was last ready). The active model stays active. `activate` is kept on the row, so an
   * embedding resumed after a restart still ends in the switch asked for.
   */
  async register(model: { id: string; folder: string; dim: number; manifest: EncoderManifest; activate: boolean }): Promise<RegisteredModel> {
    await this.dataSource.query(
      `INSERT INTO encoder_model (id, name, dim, manifest, folder, status, activate_when_ready) VALUES ($1, $2, $3, $4, $5, 'embedding', $6)
       ON CONFLICT (id) DO UPDATE SET folder = EXCLUDED.folder, activate_when_ready = EXCLUDED.activate_when_ready,
         status = CASE WHEN encoder_model.status = 'active' THEN 'active' ELSE 'embedding' END`,
      [model.id, model.manifest.name, model.dim, JSON.stringify(model.manifest), model.folder, model.activate],
    );
    return (await this.get(model.id))!;
  }

  /** The configured model at start-up: active when no model is (a fresh database, or one from before the registry). */
  async activateIfNoneActive(id: string, folder: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE encoder_model SET status = 'active', activated_at = now(), folder = COALESCE(folder, $2)
        WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM encoder_model WHERE status = 'active')`,
      [id, folder],
    );
  }

  async setProgress(id: string, embedded: number, total: number): Promise<void> {
    await this.dataSource.query(`UPDATE encoder_model SET embedded = $2, total = $3 WHERE id = $1`, [id, embedded, total]);
  }

  /**
   * embedding → ready, with whether the model is then to become active (read in the same statement, so the
   * latest registration's intent counts); null when the model was not embedding (registered again elsewhere, or removed).
   */
  async markReady(id: string): Promise<{ activateWhenReady: boolean } | null> {
    const rows: { activate_when_ready: boolean }[] = await this.dataSource.query(
      `WITH done AS (UPDATE encoder_model SET status = 'ready' WHERE id = $1 AND status = 'embedding' RETURNING activate_when_ready)
       SELECT activate_when_ready FROM done`,
      [id],
    );
    return rows.length ? { activateWhenReady: rows[0].activate_when_ready } : null;
  }

  async active(): Promise<RegisteredModel | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM encoder_model WHERE status = 'active'`);
    return rows.length ? toModel(rows[0]) : null;
  }

  /**
   * The switch: one statement promotes the ready model and demotes the active one to ready (its embeddings
   * and parked index stay, so switching back is instant); the trigger writes the one change-log entry every
   * process follows. False when the model was not ready.
   */
  async activate(id: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH switched AS (
         UPDATE encoder_model SET status = CASE WHEN id = $1 THEN 'active' ELSE 'ready' END, activated_at = CASE WHEN id = $1 THEN now() ELSE activated_at END
          WHERE EXISTS (SELECT 1 FROM encoder_model WHERE id = $1 AND status = 'ready') AND (id = $1 OR status = 'active')
          RETURNING id)
       SELECT id FROM switched WHERE id = $1`,
      [id],
    );
    return rows.length > 0;
  }

  /** Lesions of the archive the active model has embedded and `id` has not: what a switch to it would lose. */
  async countUnembeddedFor(id: string, activeId: string): Promise<number> {
    const [{ n }] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM lesion_embedding a
        WHERE a.model_id = $2 AND NOT EXISTS (SELECT 1 FROM lesion_embedding e WHERE e.model_id = $1 AND e.lesion_id = a.lesion_id)`,
      [id, activeId],
    );
    return n;
  }

  /** Models left embedding by a process that stopped, with their activation intent: their jobs are enqueued again. */
  async unfinishedEmbeddings(): Promise<{ id: string; activateWhenReady: boolean }[]> {
    const rows: { id: string; activate_when_ready: boolean }[] = await this.dataSource.query(
      `SELECT id, activate_when_ready FROM encoder_model WHERE status = 'embedding' AND folder IS NOT NULL ORDER BY created_at`,
    );
    return rows.map((r) => ({ id: r.id, activateWhenReady: r.activate_when_ready }));
  }
}

function toModel(r: Record<string, unknown>): RegisteredModel {
  return {
    id: r.id as string,
    name: r.name as string,
    folder: r.folder as string | null,
    dim: r.dim as number,
    status: r.status as ModelStatus,
    progress: { embedded: r.embedded as number, total: r.total as number },
    createdAt: r.created_at as Date,
    activatedAt: r.activated_at as Date | null,
    activateWhenReady: r.activate_when_ready as boolean,
  };
}
