import { Prng } from '../sample/prng';

/**
 * Two folds over patients: the distinct patient ids shuffled by `seed` (Fisher–Yates on a seeded
 * generator; seed 0 keeps the sorted order) and cut in half, the first half one larger when odd.
 * No patient is in both; every lesion of a patient goes where its patient goes.
 */
export function twoPatientFolds(patients: readonly number[], seed: number): [number[], number[]] {
  const ids = [...new Set(patients)].sort((a, b) => a - b);
  if (ids.length < 2) throw new RangeError(`two folds need at least 2 patients; got ${ids.length}`);
  if (seed !== 0) {
    const rng = new Prng(seed);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
  }
  const half = Math.ceil(ids.length / 2);
  return [ids.slice(0, half).sort((a, b) => a - b), ids.slice(half).sort((a, b) => a - b)];
}

/** The index of the first maximum of `score` over `candidates` (grid order breaks ties). */
export function argmaxFirst<T>(candidates: readonly T[], score: (c: T) => number): { best: T; score: number; index: number } {
  if (!candidates.length) throw new RangeError('no candidates to choose from');
  let index = 0;
  let bestScore = -Infinity;
  candidates.forEach((c, i) => {
    const s = score(c);
    if (s > bestScore) {
      bestScore = s;
      index = i;
    }
  });
  return { best: candidates[index], score: bestScore, index };
}
