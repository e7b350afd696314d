import * as fs from 'node:fs';
import * as path from 'node:path';
import { Injectable } from '@nestjs/common';
import { DEEPLESION_KEYSLICE_WINDOW, HuWindow } from '../imaging/hu-image';
import { parseCsv } from '../ingest/csv';
import { parseDeepLesionCsv } from '../ingest/deeplesion-csv.parser';
import { IngestFormat } from '../ingest/ingest-job.entity';
import { LesionRecord } from '../ingest/lesion-record';
import { parseSamplesCsv } from '../ingest/samples-csv.parser';
import { EncoderService } from '../ml/encoder.service';
import { neighbourSlicePaths, PatchJob } from '../ml/patch-job';
import { followUpMetrics, FollowUpMetrics } from './follow-up-metrics';
import { bootstrapOverGroups, RetrievalMetrics, retrievalPerQuery, summariseQueries } from './retrieval-metrics';

export interface RetrievalSource {
  format: IngestFormat;
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
    const interval = (pick: (m: RetrievalMetrics) => number) => bootstrapOverGroups(perQuery, (subset) => pick(summariseQueries(subset)), { rounds: bootstrapRounds, seed: 1 });
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
  async embedSet(source: RetrievalSource): Promise<{ records: LesionRecord[]; vectors: Map<number, Float32Array>; failed: number; seconds: number; jobs: number }> {
    const records = readRecords(source);
    const sliceOffsets = this.encoder.loaded.manifest.input.sliceOffsetsMm;
    const jobs: PatchJob[] = records.map((r, i) => ({
      key: i,
      imagePath: path.join(source.imagesDir, r.imageRelPath),
      neighbourPaths: neighbourSlicePaths(r.seriesRelDir ? path.join(source.imagesDir, r.seriesRelDir) : null, r.keySliceIndex, r.spacing?.z ?? null, sliceOffsets),
      encoding: r.imageEncoding,
      huWindow: r.imageWindow,
      box: r.box,
      spacingMm: r.spacing?.x ?? null,
      spacingYmm: r.spacing?.y ?? null,
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

/** Typed lesions of a DeepLesion-format set (unlabelled ones cannot be judged). */
function readRecords(source: { format: IngestFormat; csvPath: string; huWindow?: HuWindow }): LesionRecord[] {
  const records = parseCsv(fs.readFileSync(source.csvPath, 'utf8'));
  const window = source.huWindow ?? DEEPLESION_KEYSLICE_WINDOW;
  const parsed =
    source.format === 'samples' ? parseSamplesCsv(records, window) : parseDeepLesionCsv(records, { layout: source.format === 'deeplesion' ? 'png16' : 'gray8', window });
  if (parsed.headerError) throw new Error(parsed.headerError);
  return parsed.rows.flatMap((r) => (r.ok && r.record.coarseType > 0 ? [r.record] : []));
}
