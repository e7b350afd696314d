import * as path from 'node:path';
import { Injectable } from '@nestjs/common';
import { HuWindow } from '../imaging/hu-image';
import { LesionRecord, recordSpacing } from '../deeplesion/lesion-record';
import { CsvFormat, readRecords } from '../deeplesion/read-records';
import { EncoderService } from '../ml/encoder.service';
import { neighbourSlicePaths, PatchJob } from '../ml/patch-job';
import { followUpMetrics, FollowUpMetrics } from './follow-up-metrics';
import { bootstrapOverGroups, RetrievalMetrics, retrievalPerQuery, summariseQueries } from './retrieval-metrics';

export interface RetrievalSource {
  format: CsvFormat;
  csvPath: string;
  imagesDir: string;
  huWindow?: HuWindow;
}

export interface RetrievalReport {
  model: { name: string; modelId: string; dim: number };
  lesions: number;
  patients: number;
  failed: number;
  metrics: RetrievalMetrics;
  intervals: Record<'precisionAt1' | 'precisionAt5' | 'meanAveragePrecision' | 'knnAccuracy', { low: number; high: number }>;
  secondsPerLesion: number;
  bootstrapRounds: number;
  /** Follow-up matching within patients (other studies), as GET /lesions/:id/follow-ups ranks. */
  followUp: FollowUpMetrics;
}

/**
 * Cross-patient type retrieval on any DeepLesion-format set, straight from its files (no database):
 * every typed lesion queries the lesions of other patients; relevant = same coarse type.
 */
@Injectable()
export class RetrievalEvalService {
  constructor(private readonly encoder: EncoderService) {}

  async evaluate(source: RetrievalSource, bootstrapRounds = 1000): Promise<RetrievalReport> {
    const { records, vectors, failed, seconds, jobs } = await this.embedSet(source);
    const items = records.flatMap((r, i) => (vectors.has(i) ? [{ vector: vectors.get(i)!, label: r.coarseType, group: r.patientIndex }] : []));
    // Queries are scored once against the full gallery; the bootstrap resamples patients' queries.
    const perQuery = retrievalPerQuery(items);
    const metrics = summariseQueries(perQuery);
    const interval = (pick: (m: RetrievalMetrics) => number) =>
      bootstrapOverGroups(perQuery, (subset) => pick(summariseQueries(subset)), { rounds: bootstrapRounds, seed: 1 });
    const loaded = this.encoder.loaded;
    return {
      model: { name: loaded.manifest.name, modelId: loaded.modelId, dim: this.encoder.dim },
      lesions: items.length,
      patients: new Set(items.map((i) => i.group)).size,
      failed,
      metrics,
      intervals: {
        precisionAt1: interval((m) => m.precisionAt1),
        precisionAt5: interval((m) => m.precisionAt5),
        meanAveragePrecision: interval((m) => m.meanAveragePrecision),
        knnAccuracy: interval((m) => m.knnAccuracy),
      },
      secondsPerLesion: seconds / Math.max(1, jobs),
      bootstrapRounds,
      followUp: followUpMetrics(
        records.flatMap((r, i) =>
          vectors.has(i)
            ? [
                {
                  patient: r.patientIndex,
                  study: r.studyIndex,
                  coarseType: r.coarseType,
                  longAxisMm: r.longAxisPx !== null && r.spacing ? r.longAxisPx * r.spacing.x : null,
                  location: r.location ? ([r.location.x, r.location.y, r.location.z] as [number, number, number]) : null,
                  box: r.box,
                  imageWidth: r.imageSize?.width ?? null,
                  imageHeight: r.imageSize?.height ?? null,
                  vector: vectors.get(i)!,
                },
              ]
            : [],
        ),
      ),
    };
  }

  /** The typed lesions of a set embedded with the current encoder (by record index; failures counted). */
  async embedSet(
    source: RetrievalSource,
  ): Promise<{ records: LesionRecord[]; vectors: Map<number, Float32Array>; failed: number; seconds: number; jobs: number }> {
    // Unlabelled lesions cannot be judged.
    const records = readRecords(source.format, source.csvPath, source.huWindow).filter((r) => r.coarseType > 0);
    const sliceOffsets = this.encoder.loaded.manifest.input.sliceOffsetsMm;
    const jobs: PatchJob[] = records.map((r, i) => ({
      key: i,
      imagePath: path.join(source.imagesDir, r.imageRelPath),
      neighbourPaths: neighbourSlicePaths(
        r.seriesRelDir ? path.join(source.imagesDir, r.seriesRelDir) : null,
        r.keySliceIndex,
        r.spacing?.z ?? null,
        sliceOffsets,
      ),
      encoding: r.imageEncoding,
      huWindow: r.imageWindow,
      box: r.box,
      spacing: recordSpacing(r),
    }));
    const vectors = new Map<number, Float32Array>();
    let failed = 0;
    const started = performance.now();
    await this.encoder.embedJobs(jobs, async (results) => {
      for (const r of results) {
        if (r.ok) vectors.set(r.key, r.vector);
        else failed++;
      }
    });
    return { records, vectors, failed, seconds: (performance.now() - started) / 1000, jobs: jobs.length };
  }
}
