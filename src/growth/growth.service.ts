import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { ALL_DATASETS, DatasetScope, effectiveDatasets, requireInScope, scopeAllows } from '../common/dataset-scope';
import { COARSE_TYPES } from '../deeplesion/coarse-types';
import { SliceEncoding } from '../imaging/decode-slice';
import { SIMILAR_LESIONS, SimilarHit, SimilarLesions, similarQuery } from '../lesions/similar-lesions.port';
import { GrowthPrediction, neighbourWeight, predictLongAxis, stepsOf, WeightedSteps } from './growth-prediction';
import { GrowthRepository, StoredPoint, TrackAction, TrackLesion } from './growth.repository';
import { responseSeries } from './recist';
import { summariseTrack, TrackChange } from './track-summary';
import { assembleTracks, AssemblyStudy } from './track-assembly';
import { findConflict, LinkConstraint } from './track-constraints';
import { trackTime, TimeBasis } from './time-axis';

/** Follow-up candidates scored per lesion when tracks are built (all of a patient's other lesions, in practice). */
const FOLLOW_UP_LIMIT = 1000;

export interface TrackPointView {
  lesionId: number;
  studyIndex: number;
  studyDate: string | null;
  ageYears: number | null;
  days: number | null;
  ageDifferenceYears: number | null;
  longAxisMm: number | null;
  shortAxisMm: number | null;
  percentFromBaseline: number | null;
  percentFromNadir: number | null;
  recist: string | null;
  /** How this point was linked to the previous one (null on the first). */
  link: { score: number | null; confidence: number | null; decidedBy: 'auto' | 'curator' | null } | null;
  patchUrl: string;
}

export interface TrackView {
  lesionId: number;
  trackId: number | null;
  time: { basis: TimeBasis; note: string };
  points: TrackPointView[];
  recist: string | null;
  growthRate: TrackChange['growthRate'];
  volumeDoublingTime: TrackChange['volumeDoublingTime'];
  /** This track: seen from the patient's first study or new later, and still seen at the last study or not. */
  status: { newInStudy: number | null; vanishedAfterStudy: number | null };
  /** Across the patient: lesions first seen after the first study, and lesions not seen again. */
  patient: { studies: number; newLesions: { lesionId: number; studyIndex: number }[]; vanishedLesions: { lastLesionId: number; lastStudyIndex: number }[] };
  note: string | null;
}

/** A built track as prediction and evaluation use it. */
export interface TrackSeries {
  trackId: number;
  patientId: number;
  /** The patient's dataset: a key limited to datasets predicts only from their tracks. */
  dataset: string;
  coarseType: number;
  lesionIds: number[];
  longAxesMm: number[];
  days: (number | null)[];
}

export interface PredictionQuery {
  lesionId?: number;
  upload?: { bytes: Buffer; box: string; spacingMm?: number; huWindow?: string; encoding?: SliceEncoding };
  /** Upload only: the current long axis (else from the box) and earlier ones. */
  longAxisMm?: number;
  priorLongAxesMm?: number[];
  /** null: the next follow-up, interval unknown (evaluation on undated archives). */
  intervalDays: number | null;
  k: number;
}

export interface PredictionAnswer {
  query: {
    lesionId: number | null;
    coarseType: { code: number; name: string; inferred: boolean } | null;
    historyMm: number[];
    longAxisSource: 'measured' | 'box-diagonal' | 'given';
  };
  intervalDays: number | null;
  prediction: GrowthPrediction | null;
  baselines: { noChange: GrowthPrediction | null; typeMedian: (GrowthPrediction & { tracks: number }) | null };
  evidence: { lesionId: number; trackId: number; patientId: number; similarity: number; weight: number; longAxesMm: number[]; days: (number | null)[] }[];
  note: string;
}

@Injectable()
export class GrowthService {
  /** All built tracks with their measurements, rebuilt after any build or edit. */
  private seriesCache: { version: number; series: TrackSeries[] } | null = null;
  private version = 0;

  constructor(
    private readonly repository: GrowthRepository,
    @Inject(SIMILAR_LESIONS) private readonly similarLesions: SimilarLesions,
  ) {}

  // ---------------------------------------------------------------------------------------------
  // Tracks
  // ---------------------------------------------------------------------------------------------

  /** Builds (or rebuilds) the automatic tracks of a patient, applying every curator decision. */
  async buildPatient(patientId: number): Promise<void> {
    await this.repository.withPatientLock(patientId, async (manager) => {
      const lesions = await this.repository.patientLesions(patientId, manager);
      const decisions = await this.repository.decisions(patientId, manager);
      const scores = await this.followUpScores(lesions);
      const tracks = assembleTracks(studiesOf(lesions), (from, to) => scores.get(from)?.get(to) ?? null, decisions);
      await this.repository.replaceTracks(manager, patientId, tracks, lesions.length);
    });
    this.version++;
  }

  /** Builds tracks of the given patients (all) that have none or stale ones; returns how many were built. */
  async ensureBuilt(patientIds?: number[]): Promise<number> {
    const stale = await this.repository.stalePatients(patientIds);
    for (const id of stale) await this.buildPatient(id);
    return stale.length;
  }

  /** Rebuilds one lesion's patient, or every stale patient of the scope's datasets. */
  async rebuild(lesionId: number | undefined, scope: DatasetScope): Promise<{ patientsBuilt: number }> {
    if (lesionId === undefined) {
      const stale = await this.repository.stalePatients(undefined, effectiveDatasets(scope));
      for (const id of stale) await this.buildPatient(id);
      return { patientsBuilt: stale.length };
    }
    const lesion = await this.requireLesion(lesionId, scope);
    await this.buildPatient(lesion.patientId);
    return { patientsBuilt: 1 };
  }

  /** A patient lies in one dataset: once the lesion is in scope, so is its whole track. */
  async trackOf(lesionId: number, scope: DatasetScope): Promise<TrackView> {
    const lesion = await this.requireLesion(lesionId, scope);
    await this.ensureBuilt([lesion.patientId]);
    const patientLesions = await this.repository.patientLesions(lesion.patientId);
    const facts = new Map(patientLesions.map((l) => [l.lesionId, l]));
    // Track points are read apart from the lesions: a lesion deleted meanwhile (by another request) is left out.
    const points = (await this.repository.trackPointsOfLesion(lesionId)).filter((p) => facts.has(p.lesionId));
    const trackLesions = points.length ? points.map((p) => facts.get(p.lesionId)!) : [lesion];
    const time = trackTime(trackLesions.map((l) => ({ studyIndex: l.studyIndex, studyDate: l.studyDate, ageYears: l.ageYears })));
    const measured = trackLesions.map((l, i) => ({ l, i })).filter(({ l }) => l.longAxisMm !== null && l.longAxisMm > 0);
    const change = summariseTrack(
      measured.map(({ l }) => ({ longAxisMm: l.longAxisMm!, shortAxisMm: l.shortAxisMm })),
      { ...time, days: measured.map(({ i }) => time.days[i]), ageDifferenceYears: measured.map(({ i }) => time.ageDifferenceYears[i]) },
    );
    const changeAt = new Map(measured.map(({ i }, m) => [i, change.points[m]]));
    const studies = orderedStudies(patientLesions);
    const firstStudy = studies[0];
    const lastStudy = studies[studies.length - 1];
    const allTracks = groupTracks((await this.repository.trackPoints([lesion.patientId])).filter((p) => facts.has(p.lesionId)));
    const studyIndexOf = (id: number) => facts.get(id)!.studyIndex;
    const studyIdOf = (id: number) => facts.get(id)!.studyId;
    const first = trackLesions[0];
    const last = trackLesions[trackLesions.length - 1];
    return {
      lesionId,
      trackId: points[0]?.trackId ?? null,
      time: { basis: time.basis, note: time.note },
      points: trackLesions.map((l, i) => ({
        lesionId: l.lesionId,
        studyIndex: l.studyIndex,
        studyDate: l.studyDate,
        ageYears: l.ageYears,
        days: time.days[i],
        ageDifferenceYears: time.ageDifferenceYears[i],
        longAxisMm: l.longAxisMm,
        shortAxisMm: l.shortAxisMm,
        percentFromBaseline: changeAt.get(i)?.percentFromBaseline ?? null,
        percentFromNadir: changeAt.get(i)?.percentFromNadir ?? null,
        recist: changeAt.get(i)?.recist ?? null,
        link: i === 0 ? null : linkOf(points[i]),
        patchUrl: `/api/v1/lesions/${l.lesionId}/patch.png`,
      })),
      recist: change.recist,
      growthRate: change.growthRate,
      volumeDoublingTime: change.volumeDoublingTime,
      status: {
        newInStudy: first.studyId !== firstStudy ? first.studyIndex : null,
        vanishedAfterStudy: last.studyId !== lastStudy ? last.studyIndex : null,
      },
      patient: {
        studies: studies.length,
        newLesions: allTracks
          .filter((t) => studyIdOf(t[0].lesionId) !== firstStudy)
          .map((t) => ({ lesionId: t[0].lesionId, studyIndex: studyIndexOf(t[0].lesionId) })),
        vanishedLesions: allTracks
          .filter((t) => studyIdOf(t[t.length - 1].lesionId) !== lastStudy)
          .map((t) => ({ lastLesionId: t[t.length - 1].lesionId, lastStudyIndex: studyIndexOf(t[t.length - 1].lesionId) })),
      },
      note:
        trackLesions.length < 2
          ? studies.length < 2
            ? 'This patient has a single study: the lesion has no follow-up, so no change or response can be measured.'
            : 'No lesion of the other studies was matched to this one (it may be new, or have vanished): no change or response can be measured.'
          : null,
    };
  }

  /**
   * A curator's decision on the track of `lesionId`. It becomes constraints on links that every later
   * automatic run keeps; one that contradicts a decision in force is refused (409, naming it).
   */
  async edit(action: TrackAction, lesionId: number, withLesionId: number | undefined, decidedBy: string | null, scope: DatasetScope): Promise<TrackView> {
    const lesion = await this.requireLesion(lesionId, scope);
    if (action === 'merge' && withLesionId === undefined) throw new BadRequestException('merge needs withLesionId: a lesion of the other track');
    if (action !== 'merge' && withLesionId !== undefined) throw new BadRequestException(`withLesionId is only for merge, not ${action}`);
    await this.ensureBuilt([lesion.patientId]);
    const other = withLesionId !== undefined ? await this.requireLesion(withLesionId, scope) : null;
    if (other && other.patientId !== lesion.patientId)
      throw new BadRequestException(`Lesions ${lesionId} and ${withLesionId} belong to different patients: tracks follow one patient`);
    await this.repository.withPatientLock(lesion.patientId, async (manager) => {
      const lesions = new Map((await this.repository.patientLesions(lesion.patientId, manager)).map((l) => [l.lesionId, l]));
      const trackOf = async (id: number) => {
        const points = await this.repository.trackPointsOfLesion(id);
        return points.length ? points.map((p) => p.lesionId) : [id];
      };
      const track = await trackOf(lesionId);
      const proposed: LinkConstraint[] = [];
      const link = (from: number, to: number, kind: 'must' | 'cannot') => proposed.push({ kind, from, to, decisionId: null });
      if (action === 'confirm') {
        if (track.length < 2)
          throw new BadRequestException(`Lesion ${lesionId} has no track to confirm (it is alone): merge it with another lesion's track instead`);
        for (let i = 1; i < track.length; i++) link(track[i - 1], track[i], 'must');
      } else if (action === 'split') {
        const at = track.indexOf(lesionId);
        if (at === 0) throw new BadRequestException(`Lesion ${lesionId} starts its track: split at a later point (the track is cut before the given lesion)`);
        link(track[at - 1], lesionId, 'cannot');
      } else if (action === 'unlink') {
        proposed.push({ kind: 'alone', from: lesionId, to: null, decisionId: null });
      } else {
        const otherTrack = await trackOf(withLesionId!);
        if (otherTrack.includes(lesionId)) throw new BadRequestException(`Lesions ${lesionId} and ${withLesionId} are already in one track`);
        const clash = track.find((a) => otherTrack.some((b) => lesions.get(a)!.studyId === lesions.get(b)!.studyId));
        if (clash !== undefined) {
          const studyIndex = lesions.get(clash)!.studyIndex;
          throw new ConflictException(`Cannot merge: both tracks have a lesion in study ${studyIndex} (a track holds one lesion per study)`);
        }
        const order = orderedStudies([...lesions.values()]);
        const merged = [...track, ...otherTrack].sort((a, b) => order.indexOf(lesions.get(a)!.studyId) - order.indexOf(lesions.get(b)!.studyId));
        for (let i = 1; i < merged.length; i++) link(merged[i - 1], merged[i], 'must');
      }
      const existing = await this.repository.decisions(lesion.patientId, manager);
      const conflict = findConflict(existing, proposed);
      if (conflict)
        throw new ConflictException(
          `Contradicts an earlier decision — ${conflict.reason}. Delete that decision first (DELETE /api/v1/growth/decisions/${conflict.existing.decisionId}) to change it.`,
        );
      await this.repository.addDecisions(manager, lesion.patientId, action, proposed, decidedBy);
    });
    await this.buildPatient(lesion.patientId);
    return this.trackOf(lesionId, scope);
  }

  async decisionsOf(lesionId: number, scope: DatasetScope) {
    const lesion = await this.requireLesion(lesionId, scope);
    return (await this.repository.decisions(lesion.patientId)).filter((d) => d.from === lesionId || d.to === lesionId);
  }

  async deleteDecision(id: number, scope: DatasetScope): Promise<void> {
    const valid = id > 0 && id <= 2_147_483_647;
    if (valid && scope.datasets !== null) requireInScope(scope, await this.repository.decisionDataset(id), `Track decision ${id} not found`);
    const patientId = valid ? await this.repository.deleteDecision(id) : null;
    if (patientId === null) throw new NotFoundException(`Track decision ${id} not found`);
    await this.buildPatient(patientId);
  }

  // ---------------------------------------------------------------------------------------------
  // Prediction
  // ---------------------------------------------------------------------------------------------

  /** Every built track with at least two measured points (built first where stale). */
  async trackSeries(): Promise<TrackSeries[]> {
    await this.ensureBuilt();
    if (this.seriesCache?.version === this.version) return this.seriesCache.series;
    const version = this.version;
    const points = await this.repository.trackPoints();
    const facts = new Map((await this.repository.lesions([...new Set(points.map((p) => p.lesionId))])).map((l) => [l.lesionId, l]));
    const series: TrackSeries[] = [];
    for (const track of groupTracks(points)) {
      const lesions = track.map((p) => facts.get(p.lesionId)!).filter((l) => l && l.longAxisMm !== null && l.longAxisMm > 0);
      if (lesions.length < 2) continue;
      const time = trackTime(lesions.map((l) => ({ studyIndex: l.studyIndex, studyDate: l.studyDate, ageYears: l.ageYears })));
      series.push({
        trackId: track[0].trackId,
        patientId: lesions[0].patientId,
        dataset: lesions[0].dataset,
        coarseType: lesions[0].coarseType,
        lesionIds: lesions.map((l) => l.lesionId),
        longAxesMm: lesions.map((l) => l.longAxisMm!),
        days: time.days,
      });
    }
    this.seriesCache = { version, series };
    return series;
  }

  /** The latest lesion of every track whose RECIST category at its last point is one of these (cohorts' response filter). */
  async lesionsWithResponse(categories: readonly string[], scope: DatasetScope): Promise<number[]> {
    const wanted = new Set(categories);
    return (await this.trackSeries()).flatMap((s) => {
      if (!scopeAllows(scope, s.dataset)) return [];
      const responses = responseSeries(s.longAxesMm);
      return wanted.has(responses[responses.length - 1].category ?? '') ? [s.lesionIds[s.lesionIds.length - 1]] : [];
    });
  }

  /**
   * The long axis after an interval, from the tracks of the most similar archived lesions of other
   * patients (appearance, type, size), with the two baselines computed by the same function.
   */
  /** Neighbours, their tracks and the type-median baseline come only from the scope's datasets. */
  async predict(query: PredictionQuery, scope: DatasetScope): Promise<PredictionAnswer> {
    if ((query.lesionId === undefined) === !query.upload)
      throw new BadRequestException('Give either lesionId or an uploaded slice (multipart field "file") with its box');
    const series = (await this.trackSeries()).filter((s) => scopeAllows(scope, s.dataset));
    let history: number[];
    let coarseType: number | null;
    let patientId: number | null = null;
    let longAxisSource: PredictionAnswer['query']['longAxisSource'] = 'measured';
    let hits: SimilarHit[];
    const searchQuery = similarQuery({ k: Math.min(200, query.k * 4), excludeSamePatient: true }, scope);
    if (query.lesionId !== undefined) {
      const lesion = await this.requireLesion(query.lesionId, scope);
      if (!(lesion.longAxisMm !== null && lesion.longAxisMm > 0))
        throw new UnprocessableEntityException(`Lesion ${query.lesionId} has no long axis in mm (its series has no pixel spacing)`);
      await this.ensureBuilt([lesion.patientId]);
      const track = (await this.repository.trackPointsOfLesion(query.lesionId)).map((p) => p.lesionId);
      const upTo = track.length ? track.slice(0, track.indexOf(query.lesionId) + 1) : [query.lesionId];
      const facts = new Map((await this.repository.lesions(upTo)).map((l) => [l.lesionId, l]));
      history = upTo.map((id) => facts.get(id)!.longAxisMm).filter((v): v is number => v !== null && v > 0);
      coarseType = lesion.coarseType;
      patientId = lesion.patientId;
      hits = (await this.similarLesions.similar({ ...searchQuery, lesionId: query.lesionId }, scope)).hits;
    } else {
      const { bytes, huWindow, encoding, ...slice } = query.upload!;
      const result = await this.similarLesions.similar({ ...searchQuery, ...slice, read: { huWindow, encoding } }, scope, bytes);
      const current = query.longAxisMm ?? (query.upload!.box && estimateFromResult(result.query.upload?.box, slice.spacingMm));
      if (!current) throw new BadRequestException('Give longAxisMm, or spacingMm so the long axis can be estimated from the box');
      longAxisSource = query.longAxisMm !== undefined ? 'given' : 'box-diagonal';
      history = [...(query.priorLongAxesMm ?? []), current];
      hits = result.hits;
      coarseType = null;
    }
    const core = await this.predictFromNeighbours(history, coarseType, patientId, hits, series, query.intervalDays, query.k);
    const { prediction, typeMedian, evidence } = core;
    coarseType = core.coarseType;
    const inferredType = core.inferredType;
    const unscaled = (prediction?.unscaledSteps ?? 0) + (typeMedian?.unscaledSteps ?? 0);
    return {
      query: {
        lesionId: query.lesionId ?? null,
        coarseType: coarseType === null ? null : { code: coarseType, name: COARSE_TYPES[coarseType] ?? 'unknown', inferred: inferredType },
        historyMm: history,
        longAxisSource,
      },
      intervalDays: query.intervalDays,
      prediction,
      baselines: {
        noChange: core.noChange,
        typeMedian,
      },
      evidence,
      note:
        [
          prediction
            ? null
            : 'No similar lesion of another patient has a track with two measured points: no prediction from neighbours (the baselines still apply).',
          typeMedian ? null : `No other patient has a track of this type with two measured points: no type-median baseline.`,
          unscaled
            ? `${unscaled} observed steps have no interval in days (undated studies): each is used as one follow-up interval, not rescaled to ${query.intervalDays ?? 'the'} days.`
            : null,
        ]
          .filter(Boolean)
          .join(' ') || 'Steps rescaled to the interval assuming exponential growth.',
    };
  }

  /**
   * The prediction and both baselines for a lesion with this history, from its neighbours' hits: one
   * code path for the API and the leave-one-patient-out evaluation. `patientId` (the query's patient,
   * null for an upload) is never used as evidence.
   */
  async predictFromNeighbours(
    history: number[],
    knownType: number | null,
    patientId: number | null,
    hits: SimilarHit[],
    series: TrackSeries[],
    intervalDays: number | null,
    k: number,
  ): Promise<{
    prediction: GrowthPrediction | null;
    noChange: GrowthPrediction | null;
    typeMedian: (GrowthPrediction & { tracks: number }) | null;
    evidence: PredictionAnswer['evidence'];
    coarseType: number | null;
    inferredType: boolean;
  }> {
    const byLesion = new Map<number, TrackSeries>();
    for (const s of series) for (const id of s.lesionIds) byLesion.set(id, s);
    const hitPatients = new Map((await this.repository.lesions(hits.map((h) => h.lesion.id))).map((l) => [l.lesionId, l.patientId]));
    const used = new Set<number>();
    const evidence: PredictionAnswer['evidence'] = [];
    for (const hit of hits) {
      const track = byLesion.get(hit.lesion.id);
      if (!track || used.has(track.trackId) || track.patientId === patientId || hitPatients.get(hit.lesion.id) === patientId) continue;
      const weight = neighbourWeight(hit.similarity, hit.why.sameType, hit.why.sizeRatio);
      if (!(weight > 0)) continue;
      used.add(track.trackId);
      evidence.push({
        lesionId: hit.lesion.id,
        trackId: track.trackId,
        patientId: track.patientId,
        similarity: hit.similarity,
        weight,
        longAxesMm: track.longAxesMm,
        days: track.days,
      });
      if (evidence.length >= k) break;
    }
    const totalWeight = evidence.reduce((s, e) => s + e.weight, 0);
    for (const e of evidence) e.weight /= totalWeight || 1;
    let coarseType = knownType;
    let inferredType = false;
    if (coarseType === null && evidence.length) {
      // An upload has no type: the one carrying most of the neighbours' weight stands in.
      const votes = new Map<number, number>();
      for (const e of evidence) {
        const type = byLesion.get(e.lesionId)!.coarseType;
        votes.set(type, (votes.get(type) ?? 0) + e.weight);
      }
      coarseType = [...votes.entries()].sort((a, b) => b[1] - a[1])[0][0];
      inferredType = true;
    }
    const sources: WeightedSteps[] = evidence.map((e) => ({ weight: e.weight, steps: stepsOf(e.longAxesMm, e.days) }));
    const typeTracks = series.filter((s) => s.coarseType === coarseType && s.patientId !== patientId);
    const typeMedian = predictLongAxis(
      history,
      typeTracks.map((s) => ({ weight: 1, steps: stepsOf(s.longAxesMm, s.days) })),
      intervalDays,
    );
    return {
      prediction: predictLongAxis(history, sources, intervalDays),
      noChange: predictLongAxis(history, [{ weight: 1, steps: [{ logRatio: 0, days: null }] }], intervalDays),
      typeMedian: typeMedian ? { ...typeMedian, tracks: typeTracks.length } : null,
      evidence,
      coarseType,
      inferredType,
    };
  }

  // ---------------------------------------------------------------------------------------------

  /** The lesion's track facts; a 404 when it does not exist or lies outside the scope (alike, so nothing leaks). */
  private async requireLesion(lesionId: number, scope: DatasetScope): Promise<TrackLesion> {
    // Beyond int4 no lesion exists (and PostgreSQL would refuse the parameter).
    const lesion = Number.isSafeInteger(lesionId) && lesionId > 0 && lesionId <= 2_147_483_647 ? await this.repository.lesion(lesionId) : null;
    if (!lesion) throw new NotFoundException(`Lesion ${lesionId} not found`);
    requireInScope(scope, lesion.dataset, `Lesion ${lesionId} not found`);
    return lesion;
  }

  /** Follow-up scores between the patient's lesions, from the follow-up matching (SIMILAR_LESIONS). */
  private async followUpScores(lesions: TrackLesion[]): Promise<Map<number, Map<number, number>>> {
    const scores = new Map<number, Map<number, number>>();
    if (orderedStudies(lesions).length < 2) return scores;
    for (const lesion of lesions) {
      try {
        // Internal: tracks follow one patient, who lies in one dataset.
        const found = await this.similarLesions.followUps(lesion.lesionId, ALL_DATASETS, FOLLOW_UP_LIMIT);
        scores.set(lesion.lesionId, new Map(found.map((f) => [f.lesion.id, f.score])));
      } catch (error) {
        // A lesion not embedded yet has no scores: it starts a track of its own until the next build.
        if (!(error instanceof NotFoundException)) throw error;
      }
    }
    return scores;
  }

  /** Drops the cached track series (after a rebuild elsewhere, e.g. an import). */
  forgetCache(): void {
    this.version++;
  }
}

function linkOf(point: StoredPoint | undefined): TrackPointView['link'] {
  return point ? { score: point.linkScore, confidence: point.linkConfidence, decidedBy: point.linkDecidedBy } : null;
}

/** Study ids in time order (lesions come ordered by date, then index). */
function orderedStudies(lesions: readonly TrackLesion[]): number[] {
  const sorted = [...lesions].sort((a, b) => (a.studyDate ?? '9999').localeCompare(b.studyDate ?? '9999') || a.studyIndex - b.studyIndex);
  return [...new Set(sorted.map((l) => l.studyId))];
}

function studiesOf(lesions: readonly TrackLesion[]): AssemblyStudy[] {
  return orderedStudies(lesions).map((studyId) => ({ studyId, lesionIds: lesions.filter((l) => l.studyId === studyId).map((l) => l.lesionId) }));
}

function groupTracks(points: StoredPoint[]): StoredPoint[][] {
  const tracks = new Map<number, StoredPoint[]>();
  for (const p of points) {
    const list = tracks.get(p.trackId) ?? [];
    list.push(p);
    tracks.set(p.trackId, list);
  }
  return [...tracks.values()].map((t) => t.sort((a, b) => a.position - b.position));
}

/** The long axis of an uploaded box when nothing better is given: the box diagonal × spacing (an overestimate). */
function estimateFromResult(box: { x1: number; y1: number; x2: number; y2: number } | undefined, spacingMm: number | undefined): number | null {
  if (!box || !spacingMm) return null;
  return Math.hypot(box.x2 - box.x1, box.y2 - box.y1) * spacingMm;
}
