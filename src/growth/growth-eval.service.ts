import { ALL_DATASETS } from '../common/dataset-scope';
import { Inject, Injectable } from '@nestjs/common';
import { SIMILAR_LESIONS, SimilarLesions, similarQuery } from '../lesions/similar-lesions.port';
import { GrowthPrediction } from './growth-prediction';
import { growthMetricIntervals, growthMetrics, GrowthMetrics, HeldOutCase, Interval } from './growth-metrics';
import { GrowthService } from './growth.service';
import { recistCategory } from './recist';

export const GROWTH_METHODS = ['neighbours', 'noChange', 'typeMedian'] as const;
export type GrowthMethod = (typeof GROWTH_METHODS)[number];

export interface GrowthEvalReport {
  tracks: number;
  patients: number;
  /** Held-out steps with an interval in days (the rest are "next follow-up, interval unknown"). */
  datedSteps: number;
  methods: Record<GrowthMethod, { metrics: GrowthMetrics; intervals: Record<'maeMm' | 'coverage80' | 'recistAccuracy' | 'recistMacroF1', Interval> }>;
  truthCategories: Record<string, number>;
  /** POST /growth/predict's work for an archived lesion (search + tracks + prediction), ms. */
  latencyMs: { median: number; p95: number; calls: number };
  bootstrapRounds: number;
}

const NEIGHBOURS = 20;

/**
 * Leave-one-patient-out over every track with two or more measured points: the last point is held
 * out and predicted from the ones before, with neighbours and type statistics from other patients
 * only (the query's patient is excluded everywhere), for our method and both baselines.
 */
@Injectable()
export class GrowthEvalService {
  constructor(
    private readonly growth: GrowthService,
    @Inject(SIMILAR_LESIONS) private readonly similarLesions: SimilarLesions,
  ) {}

  async evaluate(bootstrapRounds = 1000): Promise<GrowthEvalReport> {
    const series = await this.growth.trackSeries();
    const cases: Record<GrowthMethod, HeldOutCase[]> = { neighbours: [], noChange: [], typeMedian: [] };
    let datedSteps = 0;
    const truthCategories: Record<string, number> = {};
    for (const track of series) {
      const n = track.longAxesMm.length;
      const history = track.longAxesMm.slice(0, n - 1);
      const actualMm = track.longAxesMm[n - 1];
      const horizon = track.days[n - 1] !== null && track.days[n - 2] !== null ? track.days[n - 1]! - track.days[n - 2]! : null;
      if (horizon !== null) datedSteps++;
      const queryLesion = track.lesionIds[n - 2];
      const hits = (
        await this.similarLesions.similar(
          similarQuery({ lesionId: queryLesion, k: Math.min(200, NEIGHBOURS * 4), excludeSamePatient: true }, ALL_DATASETS),
          ALL_DATASETS,
        )
      ).hits;
      const core = await this.growth.predictFromNeighbours(history, track.coarseType, track.patientId, hits, series, horizon, NEIGHBOURS);
      const actualCategory = recistCategory(history[0], Math.min(...history), actualMm);
      truthCategories[actualCategory] = (truthCategories[actualCategory] ?? 0) + 1;
      const add = (method: GrowthMethod, prediction: GrowthPrediction | null) =>
        cases[method].push({ group: track.patientId, actualMm, actualCategory, prediction });
      add('neighbours', core.prediction);
      add('noChange', core.noChange);
      add('typeMedian', core.typeMedian);
    }
    const methods = Object.fromEntries(
      GROWTH_METHODS.map((m) => [m, { metrics: growthMetrics(cases[m]), intervals: growthMetricIntervals(cases[m], bootstrapRounds) }]),
    ) as GrowthEvalReport['methods'];
    return {
      tracks: series.length,
      patients: new Set(series.map((s) => s.patientId)).size,
      datedSteps,
      methods,
      truthCategories,
      latencyMs: await this.latency(series.map((s) => s.lesionIds[s.lesionIds.length - 1]).slice(0, 30)),
      bootstrapRounds,
    };
  }

  private async latency(lesionIds: number[]): Promise<GrowthEvalReport['latencyMs']> {
    const times: number[] = [];
    for (const lesionId of lesionIds) {
      const started = performance.now();
      await this.growth.predict({ lesionId, intervalDays: 90, k: NEIGHBOURS }, ALL_DATASETS);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => (times.length ? times[Math.min(times.length - 1, Math.floor(q * times.length))] : NaN);
    return { median: at(0.5), p95: at(0.95), calls: times.length };
  }
}

/** The report as a Markdown table. */
export function formatGrowthReport(report: GrowthEvalReport, setName: string): string {
  const f = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
  const ci = (v: number, i: Interval, digits = 2) => `${f(v, digits)} [${f(i.low, digits)}, ${f(i.high, digits)}]`;
  const names: Record<GrowthMethod, string> = {
    neighbours: 'similar lesions’ tracks (ours)',
    noChange: 'baseline: no change',
    typeMedian: 'baseline: median growth of the coarse type',
  };
  const rows = GROWTH_METHODS.map((m) => {
    const { metrics: x, intervals: i } = report.methods[m];
    return `| ${setName} | ${names[m]} | ${x.answered}/${x.cases} | ${ci(x.maeMm, i.maeMm)} | ${ci(x.coverage80, i.coverage80)} | ${ci(x.recistAccuracy, i.recistAccuracy)} | ${ci(x.recistMacroF1, i.recistMacroF1)} |`;
  });
  const truth = Object.entries(report.truthCategories)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  return [
    `${report.tracks} tracks with ≥ 2 measured points, ${report.patients} patients; held-out steps with an interval in days: ${report.datedSteps}; true RECIST categories of the held-out points: ${truth || 'none'}. 95 % patient-bootstrap intervals (${report.bootstrapRounds} rounds) in brackets. Prediction latency (POST /growth/predict's work for an archived lesion, in process): median ${f(report.latencyMs.median, 1)} ms, p95 ${f(report.latencyMs.p95, 1)} ms over ${report.latencyMs.calls} calls.`,
    '',
    '| set | method | answered | MAE last long axis (mm) | 80 % interval coverage | RECIST accuracy | RECIST macro-F1 |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
