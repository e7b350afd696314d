import { RetryLaterException } from '../common/retry-later.exception';
import { BUSY_RETRIES, DetectionJobRow, toDetectionJobView, whenWorkersFree } from './detection-jobs';

const row = (over: Partial<DetectionJobRow>): DetectionJobRow => ({
  id: '6f1c1f8e-0d7e-4a43-9a57-1f2b9f1e8c11',
  status: 'running',
  series: 'Images_png/000001_01_01',
  total: 4,
  options: {},
  done: 2,
  failed: 1,
  results: [{ slice: '001.png', detections: [{ box: { x1: 0, y1: 0, x2: 5, y2: 5 }, score: 1 }] }],
  errors: [{ slice: '002.png', message: 'corrupt PNG' }],
  message: null,
  startedAt: new Date('2026-12-02T10:00:00Z'),
  updatedAt: new Date('2026-12-02T10:00:04Z'),
  finishedAt: null,
  ...over,
});

describe('detection job view', () => {
  it('shows progress and the rate while running, without results', () => {
    const view = toDetectionJobView(row({}));
    expect(view).toMatchObject({ status: 'running', done: 2, total: 4, failed: 1, slicesPerSecond: 0.5, finishedAt: null, errors: [{ slice: '002.png' }] });
    expect(view.results).toBeUndefined();
  });

  it('carries the results once finished, completed or failed', () => {
    const finishedAt = new Date('2026-12-02T10:00:08Z');
    expect(toDetectionJobView(row({ status: 'completed', done: 4, updatedAt: finishedAt, finishedAt })).results).toHaveLength(1);
    expect(toDetectionJobView(row({ status: 'failed', message: 'the job stopped on an internal error', finishedAt })).results).toHaveLength(1);
    expect(toDetectionJobView(row({ status: 'queued', done: 0, updatedAt: new Date('2026-12-02T10:00:00Z') })).slicesPerSecond).toBe(0);
  });
});

describe('whenWorkersFree (a job slice waiting for busy decode workers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('tries again after the Retry-After the workers gave, until the work is taken', async () => {
    const work = jest
      .fn()
      .mockRejectedValueOnce(new RetryLaterException('busy', 2))
      .mockRejectedValueOnce(new RetryLaterException('busy', 1))
      .mockResolvedValue('boxes');
    const result = whenWorkersFree(work);
    await jest.advanceTimersByTimeAsync(1999);
    expect(work).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1001);
    await expect(result).resolves.toBe('boxes');
    expect(work).toHaveBeenCalledTimes(3);
  });

  it('passes any other error on at once, and gives up after BUSY_RETRIES refusals', async () => {
    await expect(whenWorkersFree(() => Promise.reject(new Error('broken')))).rejects.toThrow('broken');
    const busy = jest.fn().mockRejectedValue(new RetryLaterException('busy', 1));
    const result = whenWorkersFree(busy);
    const settled = expect(result).rejects.toBeInstanceOf(RetryLaterException);
    await jest.advanceTimersByTimeAsync(BUSY_RETRIES * 1000);
    await settled;
    expect(busy).toHaveBeenCalledTimes(BUSY_RETRIES);
  });
});
