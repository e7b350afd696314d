export interface ScoredLabel {
  label: number;
  similarity: number;
}

/** Cosine similarity of two vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/** Exact top-k by cosine over the given candidates, most similar first (ties: smaller label first). */
export function exactTopK(query: ArrayLike<number>, candidates: { label: number; vector: ArrayLike<number> }[], k: number): ScoredLabel[] {
  return candidates
    .map(({ label, vector }) => ({ label, similarity: cosine(query, vector) }))
    .sort((a, b) => b.similarity - a.similarity || a.label - b.label)
    .slice(0, k);
}
