import { LinkPair } from './lda';

/** One curator's mark, with both lesions named by their natural key (see lesionKey). */
export interface FeedbackMark {
  queryKey: string;
  hitKey: string;
  relevant: boolean;
}

export interface KeyedPair {
  aKey: string;
  bKey: string;
  relevant: boolean;
}

/** The key that names a lesion both in the database and in a source CSV: patient, study, series, key slice, lesion in image. */
export function lesionKey(l: { patientIndex: number; studyIndex: number; seriesIndex: number; keySliceIndex: number; lesionInImage: number }): string {
  return `${l.patientIndex}_${l.studyIndex}_${l.seriesIndex}_${l.keySliceIndex}#${l.lesionInImage}`;
}

/**
 * One pair per two lesions, whichever was the query: the majority of the curators' marks. A tie says the
 * curators disagree, so the pair teaches nothing and is left out.
 */
export function consolidateFeedback(marks: readonly FeedbackMark[]): KeyedPair[] {
  const votes = new Map<string, { aKey: string; bKey: string; balance: number }>();
  for (const m of marks) {
    if (m.queryKey === m.hitKey) continue;
    const [aKey, bKey] = m.queryKey < m.hitKey ? [m.queryKey, m.hitKey] : [m.hitKey, m.queryKey];
    const id = `${aKey}\n${bKey}`;
    const entry = votes.get(id) ?? { aKey, bKey, balance: 0 };
    entry.balance += m.relevant ? 1 : -1;
    votes.set(id, entry);
  }
  return [...votes.values()].filter((v) => v.balance !== 0).map((v) => ({ aKey: v.aKey, bKey: v.bKey, relevant: v.balance > 0 }));
}

/** The pairs whose two lesions are both among `items`, as indices into it (a training fold drops the rest). */
export function pairsAmong<T>(pairs: readonly KeyedPair[], items: readonly T[], keyOf: (item: T) => string): LinkPair[] {
  const index = new Map(items.map((item, i) => [keyOf(item), i]));
  return pairs.flatMap((p) => {
    const a = index.get(p.aKey);
    const b = index.get(p.bKey);
    return a === undefined || b === undefined ? [] : [{ a, b, relevant: p.relevant }];
  });
}
