import { DetectionReport } from './detection-eval.service';

/** Markdown tables of a detection evaluation, with the published DeepLesion anchors. */
export function formatDetectionReport(report: DetectionReport, setName: string): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const rates = report.iou.fpRates;
  const p = report.pointToBox;
  return [
    `Set: ${setName}: ${report.lesions} lesions on ${report.images} slices (${report.failed} lesion(s) could not be read). Detector: ${report.detector.name} (model ${report.detector.modelId.slice(0, 12)}), ${report.msPerSlice.toFixed(0)} ms per slice end to end, ${(report.centre.detections / Math.max(1, report.images)).toFixed(1)} boxes kept per slice (score threshold 0).`,
    '',
    `FROC, one score threshold pooled over the slices (sensitivity at false positives per slice):`,
    '',
    `| hit criterion | ${rates.map((r) => `${r} FP`).join(' | ')} | recall (all boxes) |`,
    `|---|${rates.map(() => '---').join('|')}|---|`,
    `| IoU ≥ 0.5 | ${report.iou.sensitivities.map(pct).join(' | ')} | ${pct(report.iou.recall)} |`,
    `| centre inside the box | ${report.centre.sensitivities.map(pct).join(' | ')} | ${pct(report.centre.recall)} |`,
    `| score threshold there (centre inside) | ${report.centre.thresholds.map((t) => (t === null ? '–' : t.toFixed(2))).join(' | ')} | |`,
    '',
    "The default detector's constants (scale prior, symmetry, fat/gas and enhancement penalties, box margins) were chosen by looking at the 51 real sample lesions, each choice checked on the built-in sample too: numbers on the real samples are optimistic.",
    '',
    'Reference without weights: the numerical prototype in shared/prototypes/detector_candidates.py (LoG peaks, contrast score, no symmetry or scale prior) reaches 16% (centre inside) and 4% (IoU ≥ 0.5) at 4 FP per slice on the 51 real sample lesions.',
    '',
    "Published anchors (trained detectors on DeepLesion's test split: other data, other scale, trained weights; not directly comparable): 81.1% sensitivity at 5 FP per image for the original DeepLesion detector (Yan et al., 2018); 84.4% at 1 FP per image for a later multi-task detector.",
    '',
    `Point to box, clicking each true box's centre (${p.msPerPoint.toFixed(0)} ms per point with the body outline):`,
    '',
    '| lesions | IoU ≥ 0.5 | median IoU | mean IoU | median diameter error | mean diameter error |',
    '|---|---|---|---|---|---|',
    `| ${p.lesions} | ${pct(p.iouAtLeastHalf)} | ${p.medianIou.toFixed(2)} | ${p.meanIou.toFixed(2)} | ${p.medianDiameterErrorMm.toFixed(1)} mm | ${p.meanDiameterErrorMm.toFixed(1)} mm |`,
    '',
    `Diameter error: |estimated − true| long axis, against ${p.reference === 'recist' ? 'the RECIST long axis' : 'the longer side of the true box (the set has no RECIST diameters; estimate: the longer side of the returned box)'}${p.spacingAssumed ? `, at an assumed ${0.8} mm per pixel (the set gives no spacing)` : ''}.`,
  ].join('\n');
}
