import { LinkConstraint } from './track-constraints';
import { optimalAssignment } from './optimal-assignment';

export interface AssemblyStudy {
  studyId: number;
  /** Lesions of the study (each study is one time point). Studies are given in time order. */
  lesionIds: number[];
}

export interface TrackLink {
  from: number;
  to: number;
  /** The follow-up score of the pair (null for a curator's link between lesions not scored). */
  score: number | null;
  /** 0..1: how clearly this pair beats its alternatives (1 for a curator's link). */
  confidence: number;
  decidedBy: 'auto' | 'curator';
}

export interface AssembledTrack {
  lesionIds: number[];
  links: TrackLink[];
}

export interface AssemblyOptions {
  /** A pair scoring below this is not linked (the lesion vanished, or the later one is new). */
  minScore: number;
  /** Softmax temperature of the confidence. */
  temperature: number;
  /** Score penalty per study skipped between the two points (a lesion missed in one study). */
  gapPenalty: number;
}

export const DEFAULT_ASSEMBLY: AssemblyOptions = { minScore: 0.5, temperature: 0.05, gapPenalty: 0.05 };

/**
 * Tracks of one patient. Studies are taken in time order; at each study, the open tracks (their last
 * lesion) and the study's lesions are matched by optimal assignment (not greedily), each pair costing
 * minus its follow-up score. Curator constraints are applied first and never overridden: must-links
 * are taken as given, cannot-links are forbidden pairs, unlinked lesions stay alone.
 */
export function assembleTracks(
  studies: readonly AssemblyStudy[],
  score: (from: number, to: number) => number | null,
  constraints: readonly LinkConstraint[],
  options: AssemblyOptions = DEFAULT_ASSEMBLY,
): AssembledTrack[] {
  const mustNext = new Map<number, number>();
  const mustPrev = new Map<number, number>();
  const cannot = new Set<string>();
  const alone = new Set<number>();
  for (const c of constraints) {
    if (c.kind === 'alone') alone.add(c.from);
    else if (c.kind === 'must') {
      mustNext.set(c.from, c.to!);
      mustPrev.set(c.to!, c.from);
    } else cannot.add(`${c.from}>${c.to}`);
  }
  const studyOf = new Map<number, number>();
  studies.forEach((s, i) => s.lesionIds.forEach((id) => studyOf.set(id, i)));

  const tracks: AssembledTrack[] = [];
  const trackOfEnd = new Map<number, AssembledTrack>();
  for (let s = 0; s < studies.length; s++) {
    const free: number[] = [];
    for (const id of studies[s].lesionIds) {
      const prev = mustPrev.get(id);
      const prevTrack = prev !== undefined ? trackOfEnd.get(prev) : undefined;
      if (prevTrack) {
        extend(prevTrack, { from: prev!, to: id, score: safeScore(score, prev!, id), confidence: 1, decidedBy: 'curator' }, trackOfEnd);
      } else if (alone.has(id)) {
        tracks.push({ lesionIds: [id], links: [] });
      } else free.push(id);
    }
    // Open ends: not unlinked, not waiting for a confirmed later point, not already continued in this study.
    const ends = [...trackOfEnd.keys()].filter((end) => !alone.has(end) && !mustNext.has(end) && studyOf.get(end)! < s);
    const scores = ends.map((end) =>
      free.map((id) => {
        if (cannot.has(`${end}>${id}`) || mustPrev.has(id)) return Infinity;
        const value = score(end, id);
        return value === null || !Number.isFinite(value) ? Infinity : value - options.gapPenalty * (s - studyOf.get(end)! - 1);
      }),
    );
    const assignment =
      ends.length && free.length
        ? optimalAssignment(
            scores.map((row) => row.map((v) => (Number.isFinite(v) ? -v : Infinity))),
            -options.minScore,
          )
        : ends.map(() => -1);
    const taken = new Set<number>();
    assignment.forEach((j, i) => {
      if (j < 0 || scores[i][j] < options.minScore) return;
      taken.add(j);
      const confidence = linkConfidence(scores, i, j, options);
      extend(trackOfEnd.get(ends[i])!, { from: ends[i], to: free[j], score: scores[i][j], confidence, decidedBy: 'auto' }, trackOfEnd);
    });
    free.forEach((id, j) => {
      if (taken.has(j)) return;
      const track = { lesionIds: [id], links: [] };
      tracks.push(track);
      trackOfEnd.set(id, track);
    });
  }
  return tracks;
}

function extend(track: AssembledTrack, link: TrackLink, trackOfEnd: Map<number, AssembledTrack>): void {
  trackOfEnd.delete(link.from);
  track.lesionIds.push(link.to);
  track.links.push(link);
  trackOfEnd.set(link.to, track);
}

function safeScore(score: (from: number, to: number) => number | null, from: number, to: number): number | null {
  const value = score(from, to);
  return value !== null && Number.isFinite(value) ? value : null;
}

/**
 * Softmax share of the chosen pair among its row's options (other columns, or no match at minScore)
 * and among its column's options; the smaller of the two.
 */
function linkConfidence(scores: number[][], i: number, j: number, options: AssemblyOptions): number {
  const weight = (v: number) => (Number.isFinite(v) ? Math.exp((v - scores[i][j]) / options.temperature) : 0);
  const none = weight(options.minScore);
  const row = scores[i].reduce((sum, v) => sum + weight(v), none);
  const col = scores.reduce((sum, r) => sum + weight(r[j]), none);
  return Math.min(1 / row, 1 / col);
}
