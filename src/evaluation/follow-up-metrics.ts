import { cosine } from '../vector-index/exact-search';
import { LesionMeta } from '../vector-index/lesion-meta';
import { acceptableFollowUp, boxPlaceDistance, BoxPlace, followUpScore } from '../vector-index/follow-up-score';

export interface FollowUpLesion extends BoxPlace {
  patient: number;
  study: number;
  coarseType: number;
  longAxisMm: number | null;
  location: [number, number, number] | null;
  vector: ArrayLike<number>;
}

export interface FollowUpMetrics {
  /** Lesions with at least one acceptable candidate in the patient's other studies. */
  queries: number;
  /** Mean number of candidates (lesions of the patient's other studies) per query. */
  meanCandidates: number;
  /** Top-1 acceptable: the service's ranking, appearance alone, box place alone, and a random pick (expected). */
  top1: number;
  appearanceOnly: number;
  placeOnly: number;
  chance: number;
}

/**
 * Follow-up top-1 accuracy: each lesion ranks the lesions of its patient's other studies as the
 * service does; the first is right when it has the same coarse type and a nearby box
 * (`acceptableFollowUp`). Lesions with no acceptable candidate are not scored. Pure.
 */
export function followUpMetrics(lesions: FollowUpLesion[], maxPlaceDistance = 0.1): FollowUpMetrics {
  let queries = 0;
  let candidates = 0;
  const hits = { top1: 0, appearanceOnly: 0, placeOnly: 0, chance: 0 };
  for (const query of lesions) {
    const otherIds = lesions.flatMap((o, id) => (o.patient === query.patient && o.study !== query.study ? [id] : []));
    const others = otherIds.map((id) => lesions[id]);
    const acceptable = others.map((o) => acceptableFollowUp(query, o, maxPlaceDistance));
    const good = acceptable.filter(Boolean).length;
    if (!good) continue;
    queries++;
    candidates += others.length;
    const appearance = others.map((o) => cosine(query.vector, o.vector));
    const best = (score: (i: number) => number) => others.reduce((top, _, i) => (score(i) > score(top) ? i : top), 0);
    hits.top1 += acceptable[best((i) => followUpScore(query, asMeta(others[i], otherIds[i]), appearance[i]).score)] ? 1 : 0;
    hits.appearanceOnly += acceptable[best((i) => appearance[i])] ? 1 : 0;
    hits.placeOnly += acceptable[best((i) => -boxPlaceDistance(query, others[i]))] ? 1 : 0;
    hits.chance += good / others.length;
  }
  const rate = (n: number) => (queries ? n / queries : NaN);
  return {
    queries,
    meanCandidates: queries ? candidates / queries : 0,
    top1: rate(hits.top1),
    appearanceOnly: rate(hits.appearanceOnly),
    placeOnly: rate(hits.placeOnly),
    chance: rate(hits.chance),
  };
}

function asMeta(lesion: FollowUpLesion, id: number): LesionMeta & BoxPlace {
  return {
    label: id,
    lesionId: id,
    patientId: lesion.patient,
    studyId: lesion.study,
    dataset: '',
    coarseType: lesion.coarseType,
    sex: null,
    ageYears: null,
    longAxisMm: lesion.longAxisMm,
    split: null,
    location: lesion.location,
    box: lesion.box,
    imageWidth: lesion.imageWidth,
    imageHeight: lesion.imageHeight,
  };
}
