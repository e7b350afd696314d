import { randomUUID } from 'node:crypto';
import { Detection } from './detector.service';

export interface DetectionJobView {
  id: string;
  status: 'running' | 'completed' | 'failed';
  series: string;
  total: number;
  done: number;
  failed: number;
  startedAt: string;
  finishedAt: string | null;
  slicesPerSecond: number;
  message: string | null;
  /** Per slice, when the job has finished. */
  results?: { slice: string; detections: Detection[] }[];
  errors: { slice: string; message: string }[];
}

interface Job {
  view: DetectionJobView;
  results: { slice: string; detections: Detection[] }[];
  started: number;
}

/**
 * Detection jobs in memory: they do not survive a restart (a job is cheap to start again), and the
 * oldest finished ones are dropped beyond `maxJobs`.
 */
export class DetectionJobRegistry {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly maxJobs: number) {}

  create(series: string, total: number): string {
    const id = randomUUID();
    this.jobs.set(id, {
      view: { id, status: 'running', series, total, done: 0, failed: 0, startedAt: new Date().toISOString(), finishedAt: null, slicesPerSecond: 0, message: null, errors: [] },
      results: [],
      started: performance.now(),
    });
    this.evict();
    return id;
  }

  sliceDone(id: string, slice: string, detections: Detection[]): void {
    const job = this.jobs.get(id);
    if (!job) return;
    job.results.push({ slice, detections });
    job.view.done++;
    this.rate(job);
  }

  sliceFailed(id: string, slice: string, message: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    job.view.errors.push({ slice, message });
    job.view.done++;
    job.view.failed++;
    this.rate(job);
  }

  finish(id: string, failure?: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    job.view.status = failure ? 'failed' : 'completed';
    job.view.message = failure ?? null;
    job.view.finishedAt = new Date().toISOString();
  }

  get(id: string): DetectionJobView | null {
    const job = this.jobs.get(id);
    if (!job) return null;
    return job.view.status === 'running' ? { ...job.view, errors: [...job.view.errors] } : { ...job.view, results: job.results };
  }

  private rate(job: Job): void {
    const seconds = (performance.now() - job.started) / 1000;
    job.view.slicesPerSecond = seconds > 0 ? Math.round((job.view.done / seconds) * 100) / 100 : 0;
  }

  private evict(): void {
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= this.maxJobs) break;
      if (job.view.status !== 'running') this.jobs.delete(id);
    }
  }
}
