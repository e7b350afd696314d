import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { TagPredictionJobPayload } from '../../jobs/job-payloads';
import { JOB_QUEUE, JobQueue } from '../../jobs/job-queue.port';
import { EncoderService } from '../../ml/encoder.service';
import { VectorIndexService } from '../../vector-index/vector-index.service';
import { COARSE_TYPE_TERMS } from '../vocabulary/default-vocabulary';
import { LabelledLesion, LesionTagsRepository, NewTag } from '../lesion-tags.repository';
import { calibrateThreshold, metricsAt, neighbourVotes, resolveExclusive, rocAuc } from './tag-prediction';
import { VocabularyService, VocabularySnapshot } from '../vocabulary.service';

export interface TermEvaluation {
  term: string;
  trainPositive: number;
  testPositive: number;
  testNegative: number;
  auc: number;
  precision: number;
  recall: number;
  f1: number;
  threshold: number;
}

export interface TagPredictionEvaluation {
  /** How calibration and test sets were drawn: the dataset's splits, or leave-one-patient-out. */
  protocol: 'splits' | 'leave-one-patient-out';
  k: number;
  terms: TermEvaluation[];
  meanAuc: number;
  /** Lesions scored on the held-out side. */
  testLesions: number;
}

export interface PredictionRunSummary {
  modelId: string;
  labelsVersion: number;
  lesions: number;
  tags: number;
  terms: number;
}

// A term needs this many labelled positives before it is predicted or evaluated.
const MIN_POSITIVES = 3;
// Neighbours fetched per query: more than k, because not every neighbour is labelled for every term.
const POOL_FACTOR = 4;
// Sets smaller than this are not a usable split: fall back to leave-one-patient-out.
const MIN_SPLIT_LESIONS = 10;
// A queued run waits this long for a worker's index to load (a minute at DeepLesion's size) before it fails.
const INDEX_WAIT_MS = 10 * 60_000;

/** Labels, the lesions that carry them, and per-term thresholds: what a vote needs. */
interface LabelModel {
  key: string;
  context: LabelContext;
  pool: Set<number>;
  terms: number[];
  thresholds: Map<number, number>;
}

/** Labels arranged for voting: who is labelled for what, with ancestors implied. */
class LabelContext {
  readonly byLesion = new Map<number, LabelledLesion>();
  private readonly terms = new Map<number, Set<number>>();
  readonly coarseTermIds: Set<number>;
  /** Lesions whose labels say something (a report, a curator, or a coarse type). */
  readonly labelled: LabelledLesion[];

  constructor(
    lesions: LabelledLesion[],
    readonly vocabulary: VocabularySnapshot,
  ) {
    this.coarseTermIds = new Set(Object.values(COARSE_TYPE_TERMS).flatMap((name) => (vocabulary.idByName.has(name) ? [vocabulary.idOf(name)] : [])));
    for (const lesion of lesions) {
      this.byLesion.set(lesion.lesionId, lesion);
      const implied = new Set<number>();
      for (const id of lesion.termIds) {
        implied.add(id);
        const name = vocabulary.nameById.get(id);
        if (name) for (const a of vocabulary.ancestorsOf(name)) implied.add(vocabulary.idOf(a));
      }
      this.terms.set(lesion.lesionId, implied);
    }
    this.labelled = lesions.filter((l) => l.reported || (this.coarseTermIds.size > 0 && l.coarseType >= 1));
  }

  has = (lesionId: number, term: number): boolean => this.terms.get(lesionId)?.has(term) ?? false;

  labelledFor = (lesionId: number, term: number): boolean => {
    const lesion = this.byLesion.get(lesionId);
    if (!lesion) return false;
    return lesion.reported || (this.coarseTermIds.has(term) && lesion.coarseType >= 1);
  };

  /** The term's votes for the scored lesions labelled for it, and whether each has it: what AUC and thresholds read. */
  scoresFor(scored: readonly { lesion: LabelledLesion; votes: Map<number, number> }[], term: number): { scores: number[]; labels: boolean[] } {
    const scores: number[] = [];
    const labels: boolean[] = [];
    for (const { lesion, votes } of scored) {
      if (!this.labelledFor(lesion.lesionId, term)) continue;
      scores.push(votes.get(term) ?? 0);
      labels.push(this.has(lesion.lesionId, term));
    }
    return { scores, labels };
  }

  /** Terms with enough labelled positives among these lesions. */
  predictableTerms(among: LabelledLesion[]): number[] {
    const counts = new Map<number, number>();
    for (const l of among) for (const t of this.terms.get(l.lesionId) ?? []) if (this.labelledFor(l.lesionId, t)) counts.set(t, (counts.get(t) ?? 0) + 1);
    return [...counts]
      .filter(([, n]) => n >= MIN_POSITIVES)
      .map(([t]) => t)
      .sort((a, b) => a - b);
  }
}

@Injectable()
export class TagPredictionService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TagPrediction');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PredictionRunSummary | null> | null = null;
  private closed = false;
  /** Labels and thresholds for predicting on a query embedding, rebuilt when labels or vocabulary change. */
  private queryModel: LabelModel | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tags: LesionTagsRepository,
    private readonly vocabulary: VocabularyService,
    private readonly index: VectorIndexService,
    private readonly encoder: EncoderService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    this.queue.handle('tag-prediction', (payload) => this.runQueued(payload));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.tags.failStaleRuns();
    this.schedule();
  }

  onApplicationShutdown(): Promise<unknown> | void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    return this.running?.catch(() => undefined);
  }

  /** Recomputes predictions a while after labels or embeddings changed (debounced), when enabled. */
  schedule(): void {
    if (this.config.tags.predictionDelayMs < 0 || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      // The index loads in the background at start (a minute at DeepLesion's size): wait for it, or
      // the first run would be skipped and nothing predicted until labels next change.
      // With a shared queue a worker runs it (an api process has no jobs; its index may be any process's).
      if (this.queue.distributed) return void this.enqueue(false);
      if (!this.index.isReady()) return this.schedule();
      void this.recomputeIfStale().catch((error) => this.logger.warn(`Tag prediction failed: ${(error as Error).message}`));
    }, this.config.tags.predictionDelayMs);
    this.timer.unref();
  }

  async status() {
    const [latest, labelsVersion] = await Promise.all([this.tags.latestPredictionRun(), this.tags.labelsVersion()]);
    const modelId = this.encoder.status().modelId;
    // A run on a worker shows only in PostgreSQL.
    const running = this.running !== null || latest?.status === 'running';
    return { latest, current: { modelId, labelsVersion }, stale: !latest || latest.modelId !== modelId || latest.labelsVersion !== labelsVersion, running };
  }

  /**
   * A run asked for now (admin): in this process without a shared queue, else on a worker. Returns
   * whether it was queued; its progress is the tag_prediction_run row either way.
   */
  async start(): Promise<boolean> {
    if (this.queue.distributed) {
      await this.queue.enqueue('tag-prediction', { force: true });
      return true;
    }
    void this.recompute().catch((error) => this.logger.warn(`Tag prediction failed: ${(error as Error).message}`));
    return false;
  }

  private async enqueue(force: boolean): Promise<void> {
    await this.queue.enqueue('tag-prediction', { force }).catch((error: Error) => this.logger.warn(`Tag prediction not queued: ${error.message}`));
  }

  /**
   * A queued run, on a worker. Safe to run twice: a run replaces every predicted tag, and one whose
   * worker died (its row left 'running', its lock gone with its connection) is failed first.
   */
  private async runQueued(payload: TagPredictionJobPayload): Promise<void> {
    const deadline = Date.now() + INDEX_WAIT_MS;
    while (!this.index.isReady()) {
      const { state } = this.index.status();
      if (state === 'failed' || Date.now() > deadline) throw new Error(`the similarity index is not ready (${state})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const stale = await this.tags.failStaleRuns();
    if (stale) this.logger.warn(`${stale} tag prediction run(s) whose process stopped were marked failed`);
    await (payload.force ? this.recompute() : this.recomputeIfStale());
  }

  /**
   * Predicted tags for a query embedding (an uploaded slice's box, a detection): the same vote and
   * per-term thresholds as stored predictions, over every labelled lesion. Empty when the embedding
   * comes from another model or nothing is labelled.
   */
  async predictForEmbedding(vector: Float32Array, modelId: string): Promise<{ term: string; confidence: number }[]> {
    if (!this.index.isReady() || modelId !== this.encoder.status().modelId) return [];
    const model = await this.modelForQueries();
    if (!model.terms.length) return [];
    const neighbours = (await this.index.search(vector, this.config.tags.predictionK * POOL_FACTOR, { lesionIds: model.pool })).map((h) => ({
      lesionId: h.meta.lesionId,
      similarity: h.similarity,
    }));
    const scores = neighbourVotes(neighbours, model.terms, model.context.has, model.context.labelledFor, this.config.tags.predictionK);
    const passing = new Map([...scores].filter(([t, score]) => score >= model.thresholds.get(t)!));
    const vocabulary = model.context.vocabulary;
    return [...resolveExclusive(passing, (t) => exclusiveTermIds(vocabulary, t))]
      .map(([termId, confidence]) => ({ term: vocabulary.nameById.get(termId)!, confidence: Math.min(1, confidence) }))
      .sort((a, b) => b.confidence - a.confidence || a.term.localeCompare(b.term));
  }

  /**
   * The labels and thresholds queries vote with: the last prediction run's, rebuilt here only when
   * labels, vocabulary or model changed since (reading every label and calibrating is archive-sized
   * work, so a query should rarely pay for it).
   */
  private async modelForQueries(): Promise<LabelModel> {
    const [labelsVersion, vocabulary] = await Promise.all([this.tags.labelsVersion(), this.vocabulary.current()]);
    if (this.queryModel?.key !== this.labelModelKey(labelsVersion, vocabulary)) this.queryModel = await this.buildLabelModel(labelsVersion, vocabulary);
    return this.queryModel;
  }

  private labelModelKey(labelsVersion: number, vocabulary: VocabularySnapshot): string {
    return `${labelsVersion}:${vocabulary.version}:${this.encoder.status().modelId}`;
  }

  private async buildLabelModel(labelsVersion: number, vocabulary: VocabularySnapshot): Promise<LabelModel> {
    const context = new LabelContext(await this.tags.labelledLesions(), vocabulary);
    const calibration = await this.calibrate(context);
    return {
      key: this.labelModelKey(labelsVersion, vocabulary),
      context,
      pool: new Set(context.labelled.map((l) => l.lesionId)),
      terms: calibration.terms,
      thresholds: calibration.thresholds,
    };
  }

  /** Recomputes when the model or the labels changed since the last finished run. */
  async recomputeIfStale(): Promise<PredictionRunSummary | null> {
    if (!this.index.isReady()) return null;
    const latest = await this.tags.latestPredictionRun();
    const labelsVersion = await this.tags.labelsVersion();
    if (latest && latest.status === 'done' && latest.modelId === this.encoder.loaded.modelId && latest.labelsVersion === labelsVersion) return null;
    return this.recompute();
  }

  /** One run at a time; a second call joins the one in flight. */
  recompute(): Promise<PredictionRunSummary | null> {
    this.running ??= this.runPrediction().finally(() => (this.running = null));
    return this.running;
  }

  private async runPrediction(): Promise<PredictionRunSummary | null> {
    if (!this.index.isReady()) return null;
    const modelId = this.encoder.loaded.modelId;
    const labelsVersion = await this.tags.labelsVersion();
    const runId = await this.tags.startPredictionRun(modelId, labelsVersion);
    try {
      const vocabulary = await this.vocabulary.current();
      const model = await this.buildLabelModel(labelsVersion, vocabulary);
      // Queries on uploads and detections vote with the same labels and thresholds.
      this.queryModel = model;
      const { context, pool } = model;
      const rejected = await this.tags.rejectedTerms();
      const predicted: NewTag[] = [];
      let lesions = 0;
      for (const lesion of context.byLesion.values()) {
        if (this.closed) throw new Error('shutting down');
        if (lesion.reported) continue;
        const terms = model.terms.filter((t) => !context.labelledFor(lesion.lesionId, t));
        if (!terms.length) continue;
        const neighbours = await this.neighbours(lesion, pool);
        if (!neighbours) continue;
        lesions++;
        const scores = neighbourVotes(neighbours, terms, context.has, context.labelledFor, this.config.tags.predictionK);
        const passing = new Map([...scores].filter(([t, s]) => s >= model.thresholds.get(t)! && !rejected.get(lesion.lesionId)?.has(t)));
        const existing = new Set(lesion.termIds);
        const exclusiveIds = (t: number) => exclusiveTermIds(vocabulary, t);
        for (const [termId, score] of resolveExclusive(passing, exclusiveIds)) {
          if ([...exclusiveIds(termId)].some((o) => existing.has(o))) continue;
          predicted.push({ lesionId: lesion.lesionId, termId, confidence: Math.min(1, score) });
        }
        if (lesions % 2000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const written = await this.tags.replaceAllPredictions(predicted, modelId);
      const summary = { modelId, labelsVersion, lesions, tags: written, terms: model.terms.length };
      await this.tags.finishPredictionRun(runId, {
        status: 'done',
        lesions,
        tags: written,
        calibration: Object.fromEntries([...model.thresholds].map(([t, th]) => [t, th])),
      });
      this.logger.log(`Predicted ${written} tags for ${lesions} lesions (${model.terms.length} terms)`);
      return summary;
    } catch (error) {
      await this.tags.finishPredictionRun(runId, { status: 'failed', error: (error as Error).message }).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Per-term AUC, precision, recall and F1 on a held-out set, with thresholds calibrated on another:
   * validation → test when the dataset has splits, otherwise leave-one-patient-out on every labelled
   * lesion (thresholds then come from the same scores, which flatters precision and recall).
   */
  async evaluate(): Promise<TagPredictionEvaluation> {
    if (!this.index.isReady()) throw new Error('the similarity index is not ready');
    const vocabulary = await this.vocabulary.current();
    const context = new LabelContext(await this.tags.labelledLesions(), vocabulary);
    const sets = this.sets(context);
    const calibration = await this.calibrate(context);
    const held = await this.scoreSet(context, sets.test, sets.pool, calibration.terms);
    const terms: TermEvaluation[] = calibration.terms.map((termId) => {
      const { scores, labels } = context.scoresFor(held, termId);
      const threshold = calibration.thresholds.get(termId)!;
      const m = metricsAt(scores, labels, threshold);
      const name = vocabulary.nameById.get(termId)!;
      const trainPositive = sets.pool.filter((l) => context.labelledFor(l.lesionId, termId) && context.has(l.lesionId, termId)).length;
      return {
        term: name,
        trainPositive,
        testPositive: labels.filter(Boolean).length,
        testNegative: labels.filter((l) => !l).length,
        auc: rocAuc(scores, labels),
        precision: m.precision,
        recall: m.recall,
        f1: m.f1,
        threshold,
      };
    });
    const aucs = terms.map((t) => t.auc).filter((a) => !Number.isNaN(a));
    return {
      protocol: sets.protocol,
      k: this.config.tags.predictionK,
      terms,
      meanAuc: aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : NaN,
      testLesions: held.length,
    };
  }

  private sets(context: LabelContext) {
    const bySplit = (s: number) => context.labelled.filter((l) => l.split === s);
    const [train, val, test] = [bySplit(1), bySplit(2), bySplit(3)];
    if (val.length >= MIN_SPLIT_LESIONS && test.length >= MIN_SPLIT_LESIONS && train.length >= MIN_SPLIT_LESIONS) {
      return { protocol: 'splits' as const, pool: train, calibration: val, test };
    }
    return { protocol: 'leave-one-patient-out' as const, pool: context.labelled, calibration: context.labelled, test: context.labelled };
  }

  /** Terms worth predicting and a threshold for each, from the calibration set. */
  private async calibrate(context: LabelContext): Promise<{ terms: number[]; thresholds: Map<number, number> }> {
    const sets = this.sets(context);
    const terms = context.predictableTerms(sets.pool);
    const scored = await this.scoreSet(context, sets.calibration, sets.pool, terms);
    const thresholds = new Map<number, number>();
    for (const term of terms) {
      const { scores, labels } = context.scoresFor(scored, term);
      thresholds.set(term, calibrateThreshold(scores, labels).threshold);
    }
    return { terms, thresholds };
  }

  private async scoreSet(context: LabelContext, lesions: LabelledLesion[], pool: LabelledLesion[], terms: number[]) {
    const poolIds = new Set(pool.map((l) => l.lesionId));
    const result: { lesion: LabelledLesion; votes: Map<number, number> }[] = [];
    for (const lesion of lesions) {
      const neighbours = await this.neighbours(lesion, poolIds);
      if (!neighbours) continue;
      result.push({ lesion, votes: neighbourVotes(neighbours, terms, context.has, context.labelledFor, this.config.tags.predictionK) });
    }
    return result;
  }

  /** Nearest labelled lesions of other patients, or null when the lesion has no embedding. */
  private async neighbours(lesion: LabelledLesion, pool: Set<number>) {
    if (!this.index.metaOf(lesion.lesionId)) return null;
    const hits = await this.index.search({ lesionId: lesion.lesionId }, this.config.tags.predictionK * POOL_FACTOR, {
      lesionIds: pool,
      excludeLesionId: lesion.lesionId,
      excludePatientId: lesion.patientId,
    });
    return hits.map((h) => ({ lesionId: h.meta.lesionId, similarity: h.similarity }));
  }
}

function exclusiveTermIds(vocabulary: VocabularySnapshot, termId: number): Set<number> {
  const name = vocabulary.nameById.get(termId);
  return new Set([...(name ? (vocabulary.exclusive.get(name) ?? []) : [])].map((n) => vocabulary.idOf(n)));
}
