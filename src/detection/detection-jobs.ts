import { RetryLaterException } from '../common/retry-later.exception';
import { Detection } from './detector.service';

export type DetectionJobStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface SliceDetections {
  slice: string;
  detections: Detection[];
}

export interface DetectionJobView {
  id: string;
  status: DetectionJobStatus;
  series: string;
  total: number;
  done: number;
  failed: number;
  startedAt: string;
  finishedAt: string | null;
  slicesPerSecond: number;
  message: string | null;
  /** Per slice, when the job has finished. */
  results?: SliceDetections[];
  errors: { slice: string; message: string }[];
}

export interface DetectionJobOptions {
  spacingMm?: number;
  sliceIntervalMm?: number;
  scoreThreshold?: number;
}

/** A detection_job row as the repository reads it. */
export interface DetectionJobRow {
  id: string;
  status: DetectionJobStatus;
  series: string;
  total: number;
  options: DetectionJobOptions;
  done: number;
  failed: number;
  results: SliceDetections[];
  errors: { slice: string; message: string }[];
  message: string | null;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** What a caller sees: results only once the job has finished; the rate over its time so far. */
export function toDetectionJobView(row: DetectionJobRow): DetectionJobView {
  const seconds = (row.updatedAt.getTime() - row.startedAt.getTime()) / 1000;
  const view: DetectionJobView = {
    id: row.id,
    status: row.status,
    series: row.series,
    total: row.total,
    done: row.done,
    failed: row.failed,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt ? row.finishedAt.toISOString() : null,
    slicesPerSecond: seconds > 0 ? Math.round((row.done / seconds) * 100) / 100 : 0,
    message: row.message,
    errors: row.errors,
  };
  if (row.status === 'completed' || row.status === 'failed') view.results = row.results;
  return view;
}

/** How many times a slice waits for busy decode workers before its job gives up. */
export const BUSY_RETRIES = 10;

/**
 * A job's slice waits its turn: the decode workers it shares with uploads turn work away when their queue
 * is full (a 503 for a request), and a background job tries again after the Retry-After they give.
 */
export async function whenWorkersFree<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof RetryLaterException) || attempt >= BUSY_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(30, error.retryAfterSeconds) * 1000));
    }
  }
}
