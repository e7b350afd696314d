import { TagPredictionEvaluation } from '../tags/prediction/tag-prediction.service';

/**
 * Per-term results in the layout of LesaNet's labels_for_demo.xlsx (term, train_positive,
 * test_positive, test_negative, auc, precision, recall, f1, threshold), so the two can be set side by
 * side: as CSV, and as a markdown table.
 */
export const TAG_EVAL_COLUMNS = ['term', 'train_positive', 'test_positive', 'test_negative', 'auc', 'precision', 'recall', 'f1', 'threshold'] as const;

function rows(evaluation: TagPredictionEvaluation): string[][] {
  const f = (x: number) => (Number.isNaN(x) ? '' : x.toFixed(3));
  return [...evaluation.terms]
    .sort((a, b) => b.testPositive - a.testPositive || a.term.localeCompare(b.term))
    .map((t) => [
      t.term,
      String(t.trainPositive),
      String(t.testPositive),
      String(t.testNegative),
      f(t.auc),
      f(t.precision),
      f(t.recall),
      f(t.f1),
      f(t.threshold),
    ]);
}

export function tagEvaluationCsv(evaluation: TagPredictionEvaluation): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [TAG_EVAL_COLUMNS.join(','), ...rows(evaluation).map((r) => r.map(quote).join(','))].join('\n') + '\n';
}

export function tagEvaluationMarkdown(evaluation: TagPredictionEvaluation): string {
  const evaluated = evaluation.terms.filter((t) => !Number.isNaN(t.auc));
  const mean = (pick: (t: (typeof evaluated)[number]) => number) => (evaluated.length ? evaluated.reduce((s, t) => s + pick(t), 0) / evaluated.length : NaN);
  const header = `| ${TAG_EVAL_COLUMNS.join(' | ')} |\n|${TAG_EVAL_COLUMNS.map((c) => (c === 'term' ? '---' : '---:')).join('|')}|`;
  return [
    `Protocol: ${evaluation.protocol === 'splits' ? 'thresholds calibrated on the validation split, scored on the test split (neighbours from the training split)' : 'leave-one-patient-out (neighbours from other patients; thresholds from the same scores, so precision/recall/F1 are optimistic)'}; k = ${evaluation.k}; ${evaluation.testLesions} held-out lesions.`,
    '',
    `Mean over the ${evaluated.length} terms with both classes held out: **AUC ${mean((t) => t.auc).toFixed(3)}**, precision ${mean((t) => t.precision).toFixed(3)}, recall ${mean((t) => t.recall).toFixed(3)}, F1 ${mean((t) => t.f1).toFixed(3)}.`,
    '',
    header,
    ...rows(evaluation).map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
