import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { decodeSlice } from '../imaging/decode-slice';
import { Box, HuWindow } from '../imaging/hu-image';
import { LesionRecord, recordSpacing } from '../deeplesion/lesion-record';
import { CsvFormat, readRecords } from '../deeplesion/read-records';
import { bodyMasks } from '../detection-core/body-mask';
import { intersectionOverUnion } from '../detection-core/box-math';
import { pointToBox } from '../detection-core/point-to-box';
import { froc, FrocImage, FrocResult } from './froc';
import { SLICE_DETECTOR, SliceDetector } from './slice-detector.port';

/** In-plane spacing assumed where the set gives none (DeepLesion's typical 0.8 mm/px). */
export const FALLBACK_SPACING_MM = 0.8;

export interface PointToBoxSummary {
  lesions: number;
  iouAtLeastHalf: number;
  medianIou: number;
  meanIou: number;
  /** |estimated − true| long axis in mm: RECIST when the set has it, otherwise the longer box side. */
  medianDiameterErrorMm: number;
  meanDiameterErrorMm: number;
  reference: 'recist' | 'box side';
  spacingAssumed: boolean;
  msPerPoint: number;
}

export interface DetectionReport {
  detector: { name: string; modelId: string };
  images: number;
  lesions: number;
  failed: number;
  iou: FrocResult;
  centre: FrocResult;
  pointToBox: PointToBoxSummary;
  msPerSlice: number;
}

/**
 * Detection on any DeepLesion-format set, straight from its files: FROC (one score threshold pooled
 * over images; IoU ≥ 0.5 and centre-inside) of every detection the detector keeps (threshold 0), and
 * point to box from each true box's centre.
 */
@Injectable()
export class DetectionEvalService {
  constructor(@Inject(SLICE_DETECTOR) private readonly detector: SliceDetector) {}

  async evaluate(source: { format: CsvFormat; csvPath: string; imagesDir: string; huWindow?: HuWindow }): Promise<DetectionReport> {
    const records = readRecords(source.format, source.csvPath, source.huWindow);
    const byImage = new Map<string, LesionRecord[]>();
    for (const r of records) byImage.set(r.imageRelPath, [...(byImage.get(r.imageRelPath) ?? []), r]);
    const frocImages: FrocImage[] = [];
    const ious: number[] = [];
    const diameterErrors: number[] = [];
    let failed = 0;
    let detectMs = 0;
    let pointMs = 0;
    let spacingAssumed = false;
    let recist = true;
    for (const [rel, lesions] of byImage) {
      let image;
      try {
        const first = lesions[0];
        image = decodeSlice(fs.readFileSync(path.join(source.imagesDir, rel)), {
          encoding: first.imageEncoding,
          window: first.imageWindow ?? undefined,
          spacing: recordSpacing(first),
        }).image;
      } catch {
        failed += lesions.length;
        continue;
      }
      if (!image.spacing) spacingAssumed = true;
      const t0 = performance.now();
      const { detections } = await this.detector.detect({ image }, { scoreThreshold: 0 });
      detectMs += performance.now() - t0;
      frocImages.push({ detections, truths: lesions.map((l) => l.box) });
      const t1 = performance.now();
      const masks = bodyMasks(image.data, image.width, image.height);
      for (const l of lesions) {
        const cx = (l.box.x1 + l.box.x2) / 2;
        const cy = (l.box.y1 + l.box.y2) / 2;
        let box: Box;
        let longPx: number;
        try {
          const fit = pointToBox(image.data, image.width, image.height, masks, cx, cy);
          box = fit.box;
          longPx = fit.longAxisPx;
        } catch {
          ious.push(0);
          continue;
        }
        ious.push(intersectionOverUnion(box, l.box));
        const mm = image.spacing?.x ?? FALLBACK_SPACING_MM;
        if (l.longAxisPx) diameterErrors.push(Math.abs(longPx - l.longAxisPx) * mm);
        else {
          recist = false;
          const side = (b: Box) => Math.max(b.x2 - b.x1, b.y2 - b.y1);
          diameterErrors.push(Math.abs(side(box) - side(l.box)) * mm);
        }
      }
      pointMs += performance.now() - t1;
    }
    const { name } = this.detector.loaded.manifest;
    const lesionCount = ious.length;
    return {
      detector: { name, modelId: this.detector.loaded.modelId },
      images: frocImages.length,
      lesions: frocImages.reduce((n, i) => n + i.truths.length, 0),
      failed,
      iou: froc(frocImages, 'iou'),
      centre: froc(frocImages, 'centre'),
      pointToBox: {
        lesions: lesionCount,
        iouAtLeastHalf: ious.filter((v) => v >= 0.5).length / Math.max(1, lesionCount),
        medianIou: median(ious),
        meanIou: mean(ious),
        medianDiameterErrorMm: median(diameterErrors),
        meanDiameterErrorMm: mean(diameterErrors),
        reference: recist ? 'recist' : 'box side',
        spacingAssumed,
        msPerPoint: pointMs / Math.max(1, lesionCount),
      },
      msPerSlice: detectMs / Math.max(1, frocImages.length),
    };
  }
}

function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}
