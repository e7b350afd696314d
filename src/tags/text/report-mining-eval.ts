/** Per-term and averaged agreement of mined labels with reference labels (one label set per sentence). */
export interface TermScore {
  term: string;
  /** Sentences whose reference has the term. */
  support: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface AveragedScores {
  precision: number;
  recall: number;
  f1: number;
}

export interface LabelEvaluation {
  sentences: number;
  /** Terms of the term list with any support or prediction, by support (then name). */
  perTerm: TermScore[];
  /** Counts pooled over all terms. */
  micro: AveragedScores & { truePositives: number; falsePositives: number; falseNegatives: number };
  /** Unweighted mean over the terms with support > 0. */
  macro: AveragedScores & { terms: number };
}

/**
 * Compares predicted with reference label sets, sentence by sentence, counting only the terms in `termList`
 * (all terms seen when it is omitted). Names are compared lower-cased.
 */
export function evaluateLabels(
  predicted: readonly (readonly string[])[],
  reference: readonly (readonly string[])[],
  termList?: readonly string[],
): LabelEvaluation {
  if (predicted.length !== reference.length) throw new Error(`${predicted.length} predictions for ${reference.length} reference sentences`);
  const restrict = termList ? new Set(termList.map((t) => t.toLowerCase())) : undefined;
  const counts = new Map<string, { tp: number; fp: number; fn: number }>();
  const count = (term: string) => {
    let c = counts.get(term);
    if (!c) counts.set(term, (c = { tp: 0, fp: 0, fn: 0 }));
    return c;
  };
  if (restrict) for (const term of restrict) count(term);
  predicted.forEach((labels, i) => {
    const p = new Set(labels.map((l) => l.toLowerCase()).filter((l) => !restrict || restrict.has(l)));
    const r = new Set(reference[i].map((l) => l.toLowerCase()).filter((l) => !restrict || restrict.has(l)));
    for (const term of p) r.has(term) ? count(term).tp++ : count(term).fp++;
    for (const term of r) if (!p.has(term)) count(term).fn++;
  });
  const perTerm: TermScore[] = [...counts.entries()]
    .map(([term, c]) => ({ term, support: c.tp + c.fn, truePositives: c.tp, falsePositives: c.fp, falseNegatives: c.fn, ...prf(c.tp, c.fp, c.fn) }))
    .filter((s) => s.support > 0 || s.falsePositives > 0)
    .sort((a, b) => b.support - a.support || a.term.localeCompare(b.term));
  const tp = perTerm.reduce((sum, s) => sum + s.truePositives, 0);
  const fp = perTerm.reduce((sum, s) => sum + s.falsePositives, 0);
  const fn = perTerm.reduce((sum, s) => sum + s.falseNegatives, 0);
  const supported = perTerm.filter((s) => s.support > 0);
  const mean = (pick: (s: TermScore) => number) => (supported.length ? supported.reduce((sum, s) => sum + pick(s), 0) / supported.length : 0);
  return {
    sentences: predicted.length,
    perTerm,
    micro: { truePositives: tp, falsePositives: fp, falseNegatives: fn, ...prf(tp, fp, fn) },
    macro: { terms: supported.length, precision: mean((s) => s.precision), recall: mean((s) => s.recall), f1: mean((s) => s.f1) },
  };
}

/** Precision, recall and F1; an empty denominator counts as 0 (a term never predicted has precision 0). */
function prf(tp: number, fp: number, fn: number): AveragedScores {
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}
