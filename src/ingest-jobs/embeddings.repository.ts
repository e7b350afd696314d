import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EncoderManifest } from '../ml/encoder-manifest';
import { bytesToVector, vectorToBytes } from '../vector-index/vector-codec';

/** A lesion as the embedder needs it: where its slices are and where the box is. */
export interface LesionToEmbed {
  id: number;
  imagePath: string;
  imageEncoding: 'png16' | 'gray8';
  imageHuLow: number | null;
  imageHuHigh: number | null;
  box: { x1: number; y1: number; x2: number; y2: number };
  spacingXmm: number | null;
  spacingYmm: number | null;
  spacingZmm: number | null;
  slicesDir: string | null;
  keySliceIndex: number;
}

@Injectable()
export class EmbeddingsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async upsertModel(modelId: string, manifest: EncoderManifest, dim: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO encoder_model (id, name, dim, manifest) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, manifest = EXCLUDED.manifest`,
      [modelId, manifest.name, dim, JSON.stringify(manifest)],
    );
  }

  /**
   * Lesions without an embedding for the model (or all, with `includeExisting`), in id order after
   * `afterId`: keyset paging, so a re-run resumes where the last stored batch ended.
   */
  async lesionsToEmbed(
    modelId: string,
    afterId: number,
    limit: number,
    options: { onlyIds?: number[]; includeExisting?: boolean; modalities?: string[] } = {},
  ): Promise<LesionToEmbed[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT l.id, l.image_path, l.image_encoding, l.image_hu_low, l.image_hu_high, l.box_x1, l.box_y1, l.box_x2, l.box_y2,
              l.key_slice_index, s.spacing_x_mm, s.spacing_y_mm, s.spacing_z_mm, s.slices_dir
         FROM lesion l JOIN series s ON s.id = l.series_id
        WHERE l.id > $2 AND ($4::int[] IS NULL OR l.id = ANY($4::int[]))
          AND ($5 OR NOT EXISTS (SELECT 1 FROM lesion_embedding e WHERE e.model_id = $1 AND e.lesion_id = l.id))
          AND (s.modality IS NULL OR s.modality = ANY($6::text[]))
        ORDER BY l.id LIMIT $3`,
      [modelId, afterId, limit, options.onlyIds ?? null, options.includeExisting ?? false, options.modalities ?? ['CT']],
    );
    return rows.map((r) => ({
      id: r.id as number,
      imagePath: r.image_path as string,
      imageEncoding: r.image_encoding as 'png16' | 'gray8',
      imageHuLow: r.image_hu_low as number | null,
      imageHuHigh: r.image_hu_high as number | null,
      box: { x1: r.box_x1 as number, y1: r.box_y1 as number, x2: r.box_x2 as number, y2: r.box_y2 as number },
      spacingXmm: r.spacing_x_mm as number | null,
      spacingYmm: r.spacing_y_mm as number | null,
      spacingZmm: r.spacing_z_mm as number | null,
      slicesDir: r.slices_dir as string | null,
      keySliceIndex: r.key_slice_index as number,
    }));
  }

  async countLesions(): Promise<number> {
    const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM lesion`);
    return n;
  }

  async countMissing(modelId: string, modalities: string[] = ['CT']): Promise<number> {
    const [{ n }] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM lesion l JOIN series s ON s.id = l.series_id
        WHERE NOT EXISTS (SELECT 1 FROM lesion_embedding e WHERE e.model_id = $1 AND e.lesion_id = l.id)
          AND (s.modality IS NULL OR s.modality = ANY($2::text[]))`,
      [modelId, modalities],
    );
    return n;
  }

  async countForModel(modelId: string): Promise<number> {
    const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM lesion_embedding WHERE model_id = $1`, [modelId]);
    return n;
  }

  /** One statement per batch; a re-embedded lesion keeps its row (and so its index label). Returns the labels. */
  async saveEmbeddings(modelId: string, rows: { lesionId: number; vector: Float32Array }[]): Promise<number[]> {
    if (!rows.length) return [];
    const saved: { label: number }[] = await this.dataSource.query(
      `INSERT INTO lesion_embedding (lesion_id, model_id, vector)
         SELECT lesion_id, $1, vector FROM unnest($2::int[], $3::bytea[]) AS t(lesion_id, vector)
       ON CONFLICT (model_id, lesion_id) DO UPDATE SET vector = EXCLUDED.vector, created_at = now()
       RETURNING label::int AS label`,
      [modelId, rows.map((r) => r.lesionId), rows.map((r) => vectorToBytes(r.vector))],
    );
    return saved.map((r) => r.label);
  }

  async vectorFor(modelId: string, lesionId: number): Promise<Float32Array | null> {
    const rows: { vector: Buffer }[] = await this.dataSource.query(`SELECT vector FROM lesion_embedding WHERE model_id = $1 AND lesion_id = $2`, [
      modelId,
      lesionId,
    ]);
    return rows.length ? bytesToVector(rows[0].vector) : null;
  }
}
