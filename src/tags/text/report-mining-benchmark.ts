import { evaluateLabels, LabelEvaluation } from './report-mining-eval';
import { mineReport, MinedStatus } from './report-mining';
import { TermMatcher } from './term-matcher';
import { VocabularyTerm } from '../vocabulary/vocabulary';

/** One entry of LesaNet's hand_labeled_test_set.json. */
export interface HandLabeledSentence {
  text: string;
  lesion_idx: number;
  /** The true terms, already expanded to their ancestors. */
  expanded_terms: string[];
}

export interface SentenceOutcome {
  text: string;
  predicted: string[];
  missing: string[];
  extra: string[];
}

export interface ReportMiningBenchmark {
  evaluation: LabelEvaluation;
  outcomes: SentenceOutcome[];
  /** Statuses counted as the term being present. */
  counted: MinedStatus[];
  termListName: string;
}

/**
 * Mines every sentence with the vocabulary and compares the terms counted as present (positive, and
 * uncertain: LesaNet's hand labels keep "likely a cyst" and "possibly focal fat" as labels) with the
 * hand labels, over `termList` (names compared lower-cased).
 */
export function benchmarkReportMining(
  sentences: readonly HandLabeledSentence[],
  vocabulary: readonly VocabularyTerm[],
  termList: readonly string[],
  termListName: string,
  counted: MinedStatus[] = ['positive', 'uncertain'],
): ReportMiningBenchmark {
  const matcher = new TermMatcher(vocabulary);
  const inList = new Set(termList.map((t) => t.toLowerCase()));
  const predictions = sentences.map((s) =>
    mineReport(s.text, matcher)
      .terms.filter((t) => counted.includes(t.status))
      .map((t) => t.term),
  );
  const reference = sentences.map((s) => s.expanded_terms.map((t) => t.toLowerCase()));
  const evaluation = evaluateLabels(predictions, reference, termList);
  const outcomes = sentences.map((s, i) => {
    const predicted = predictions[i].filter((t) => inList.has(t));
    const truth = reference[i].filter((t) => inList.has(t));
    return { text: s.text, predicted, missing: truth.filter((t) => !predicted.includes(t)), extra: predicted.filter((t) => !truth.includes(t)) };
  });
  return { evaluation, outcomes, counted, termListName };
}

const pct = (x: number) => (100 * x).toFixed(1);

/** Markdown: averages, a per-term table of the terms with support ≥ minSupport, and the most frequent misses. */
export function formatReportMiningBenchmark(result: ReportMiningBenchmark, minSupport = 3): string {
  const { evaluation: e, outcomes } = result;
  const lines = [
    `${e.sentences} hand-labelled sentences, ${e.macro.terms} of the ${result.termListName} terms occurring; counted as present: ${result.counted.join(' and ')} terms with their ancestors.`,
    '',
    '| average | precision | recall | F1 |',
    '|---|---:|---:|---:|',
    `| micro (TP ${e.micro.truePositives}, FP ${e.micro.falsePositives}, FN ${e.micro.falseNegatives}) | ${pct(e.micro.precision)} | ${pct(e.micro.recall)} | ${pct(e.micro.f1)} |`,
    `| macro (${e.macro.terms} terms) | ${pct(e.macro.precision)} | ${pct(e.macro.recall)} | ${pct(e.macro.f1)} |`,
    '',
    `| term (support ≥ ${minSupport}) | support | TP | FP | FN | precision | recall | F1 |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...e.perTerm
      .filter((s) => s.support >= minSupport)
      .map(
        (s) =>
          `| ${s.term} | ${s.support} | ${s.truePositives} | ${s.falsePositives} | ${s.falseNegatives} | ${pct(s.precision)} | ${pct(s.recall)} | ${pct(s.f1)} |`,
      ),
  ];
  const tally = (pick: (o: SentenceOutcome) => string[]) => {
    const counts = new Map<string, number>();
    for (const o of outcomes) for (const t of pick(o)) counts.set(t, (counts.get(t) ?? 0) + 1);
    return [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 8)
      .map(([t, n]) => `${t} (${n})`)
      .join(', ');
  };
  lines.push('', `Most missed: ${tally((o) => o.missing) || 'none'}. Most often extra: ${tally((o) => o.extra) || 'none'}.`);
  return lines.join('\n');
}
