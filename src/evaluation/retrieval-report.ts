import { RetrievalReport } from './retrieval-eval.service';

/** A markdown table of a retrieval evaluation, with 95 % patient-bootstrap intervals. */
export function formatRetrievalReport(report: RetrievalReport, setName: string): string {
  const cell = (value: number, interval: { low: number; high: number }) => `${value.toFixed(3)} [${interval.low.toFixed(2)}, ${interval.high.toFixed(2)}]`;
  const { metrics, intervals } = report;
  return [
    `Set: ${setName}: ${report.lesions} typed lesions from ${report.patients} patients (${report.failed} could not be read); ${metrics.queries} queries with a same-type lesion of another patient.`,
    `Encoder: ${report.model.name} (${report.model.dim} dims, model ${report.model.modelId.slice(0, 12)}), ${(report.secondsPerLesion * 1000).toFixed(1)} ms per lesion end to end.`,
    '',
    '| P@1 | P@5 | mAP | kNN-5 type accuracy |',
    '|---|---|---|---|',
    `| ${cell(metrics.precisionAt1, intervals.precisionAt1)} | ${cell(metrics.precisionAt5, intervals.precisionAt5)} | ${cell(metrics.meanAveragePrecision, intervals.meanAveragePrecision)} | ${cell(metrics.knnAccuracy, intervals.knnAccuracy)} |`,
    '',
    `Intervals: 95 % percentile bootstrap over patients (${report.bootstrapRounds} resamples of the patients' queries, gallery fixed).`,
    '',
    ...followUpLines(report),
  ].join('\n');
}

function followUpLines({ followUp }: RetrievalReport): string[] {
  if (!followUp.queries) return ['Follow-up matching: no lesion has an acceptable candidate in another study of its patient.'];
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `Follow-up matching (\`GET /lesions/:id/follow-ups\`): ${followUp.queries} lesions whose patient has, in another study, a lesion of the same coarse type with its box centre within 0.1 of the image size (the proxy truth: DeepLesion does not link lesions across studies); ${followUp.meanCandidates.toFixed(1)} candidates each on average. The box-place baseline is partly circular (the proxy truth is defined by place); appearance alone is the fair comparison.`,
    '',
    '| lesions scored | top-1 acceptable: service ranking | appearance only | box place only | random pick (expected) |',
    '|---|---|---|---|---|',
    `| ${followUp.queries} | ${pct(followUp.top1)} | ${pct(followUp.appearanceOnly)} | ${pct(followUp.placeOnly)} | ${pct(followUp.chance)} |`,
  ];
}
