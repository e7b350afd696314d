import { Injectable, Logger } from '@nestjs/common';
import { pixelSpacing } from '../imaging/hu-image';
import { EncoderService } from '../ml/encoder.service';
import { manifestModalities } from '../ml/encoder-manifest';
import { neighbourSlicePaths, PatchJob } from '../ml/patch-job';
import { VectorIndexService } from '../vector-index/vector-index.service';
import { EmbeddingsRepository, LesionToEmbed } from './embeddings.repository';
import { crashPoint } from '../common/crash-point';

export interface EmbedProgress {
  total: number;
  done: number;
  embedded: number;
  failed: number;
}

export interface EmbedSummary extends EmbedProgress {
  modelId: string;
  failures: { lesionId: number; message: string }[];
}

// Rows fetched per database round trip; the encoder batches within a page.
const PAGE = 1024;
const MAX_REPORTED_FAILURES = 100;

/**
 * Computes and stores embeddings for lesions that lack one for the active model. Work is found by a
 * query ("no embedding for this model yet"), so it is naturally resumable: re-running after a crash
 * continues with what is missing, and each stored batch is one transaction.
 */
@Injectable()
export class EmbeddingService {
  private readonly logger = new Logger('Embedding');

  constructor(
    private readonly repository: EmbeddingsRepository,
    private readonly encoder: EncoderService,
    private readonly vectorIndex: VectorIndexService,
  ) {}

  /** A failed snapshot costs only catch-up time at the next start: it never fails the caller. */
  async snapshotIndex(): Promise<void> {
    await this.vectorIndex.snapshotIfChanged().catch((e: Error) => this.logger.error(`Index snapshot failed: ${e.message}`));
  }

  isAvailable(): boolean {
    return this.encoder.status().state === 'ready';
  }

  /**
   * Embeds the missing lesions (all, or only `onlyIds`); `force` recomputes existing ones too. A run
   * over everything ends with an index snapshot; per-batch runs (`onlyIds`) leave that to the caller.
   */
  async embedMissing(options: { onlyIds?: number[]; force?: boolean; onProgress?: (p: EmbedProgress) => void } = {}): Promise<EmbedSummary> {
    const loaded = this.encoder.loaded;
    const { modelId, manifest } = loaded;
    await this.repository.upsertModel(modelId, manifest, this.encoder.dim);
    // force recomputes in place (upserts), so search keeps the old vectors until each new one lands.
    const total = options.onlyIds
      ? options.onlyIds.length
      : options.force
        ? await this.repository.countLesions()
        : await this.repository.countMissing(modelId, manifestModalities(manifest));
    const progress: EmbedProgress = { total, done: 0, embedded: 0, failed: 0 };
    const failures: EmbedSummary['failures'] = [];
    let afterId = 0;
    for (;;) {
      const page = await this.repository.lesionsToEmbed(modelId, afterId, PAGE, {
        onlyIds: options.onlyIds,
        includeExisting: options.force,
        modalities: manifestModalities(manifest),
      });
      if (!page.length) break;
      afterId = page[page.length - 1].id;
      await this.encoder.embedJobs(
        page.map((lesion) => toPatchJob(lesion, manifest.input.sliceOffsetsMm)),
        async (results) => {
          const stored = results.flatMap((r) => (r.ok ? [{ lesionId: r.key, vector: r.vector }] : []));
          crashPoint('embedding-before-store');
          // Database first (the truth), then the derived index.
          await this.vectorIndex.addLabels(await this.repository.saveEmbeddings(modelId, stored));
          for (const r of results) {
            if (!r.ok && failures.length < MAX_REPORTED_FAILURES) failures.push({ lesionId: r.key, message: r.message });
          }
          progress.done += results.length;
          progress.embedded += stored.length;
          progress.failed += results.length - stored.length;
          options.onProgress?.({ ...progress });
        },
      );
    }
    // A failed snapshot costs only catch-up time at the next start: never fail the embedding for it.
    if (!options.onlyIds) await this.snapshotIndex();
    if (progress.failed) this.logger.warn(`${progress.failed} lesion(s) could not be embedded, e.g. lesion ${failures[0]?.lesionId}: ${failures[0]?.message}`);
    return { ...progress, modelId, failures };
  }
}

/** Neighbour slices for the manifest's offsets: key ± round(offset / slice spacing), when the series folder has them. */
export function toPatchJob(lesion: LesionToEmbed, sliceOffsetsMm: number[]): PatchJob {
  return {
    key: lesion.id,
    imagePath: lesion.imagePath,
    neighbourPaths: neighbourSlicePaths(lesion.slicesDir, lesion.keySliceIndex, lesion.spacingZmm, sliceOffsetsMm),
    encoding: lesion.imageEncoding,
    huWindow: lesion.imageHuLow !== null && lesion.imageHuHigh !== null ? { low: lesion.imageHuLow, high: lesion.imageHuHigh } : null,
    box: lesion.box,
    spacing: pixelSpacing(lesion.spacingXmm, lesion.spacingYmm, lesion.spacingZmm),
  };
}
