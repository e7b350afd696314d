import { BadRequestException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import * as path from 'node:path';
import { AppConfig } from '../../src/config/app-config';
import { DetectionJobRow } from '../../src/detection/detection-jobs';
import { DetectionJobsRepository } from '../../src/detection/detection-jobs.repository';
import { DetectionJobsService } from '../../src/detection/detection-jobs.service';
import { DetectorService, DetectorStatus } from '../../src/detection/detector.service';
import { SeriesFilesRepository } from '../../src/detection/series-files.repository';
import { JobQueue } from '../../src/jobs/job-queue.port';
import { asDependency, mockMethods } from '../helpers/typed-mocks';

const ROOT = '/srv/series';

const row = (over: Partial<DetectionJobRow> = {}): DetectionJobRow => ({
  id: 'job-1',
  status: 'running',
  series: 'ct/s1',
  total: 3,
  options: {},
  done: 0,
  failed: 0,
  results: [],
  errors: [],
  message: null,
  startedAt: new Date(0),
  updatedAt: new Date(0),
  finishedAt: null,
  ...over,
});

function setup(options: { distributed?: boolean; role?: 'all' | 'api' | 'worker'; folders?: Record<string, string | null> } = {}) {
  // Symlinks as the test lays them out: requested folder → real folder (null: missing).
  const folders: Record<string, string | null> = { [ROOT]: ROOT, [`${ROOT}/ct/s1`]: `${ROOT}/ct/s1`, [`${ROOT}/empty`]: `${ROOT}/empty`, ...options.folders };
  const files = mockMethods<SeriesFilesRepository>()({
    realFolder: async (dir: string) => folders[dir] ?? null,
    listSlices: async (dir: string) => (dir.endsWith('/empty') ? [] : ['001.png', '002.png', '003.png'].map((n) => path.join(dir, n))),
  });
  const jobs = mockMethods<DetectionJobsRepository>()({
    create: async (id, series, total, jobOptions, status) => row({ id, series, total, options: jobOptions, status }),
    get: async (id: string) => (id === 'job-1' ? row() : null),
    setStatus: async () => undefined,
    stale: async () => [row({ id: 'stale-1', done: 1, options: { spacingMm: 0.8 } })],
  });
  const queue = mockMethods<JobQueue>()({ assertRoom: async () => undefined, enqueue: async () => undefined, handle: () => undefined });
  const detectorState: { state: DetectorStatus['state'] } = { state: 'ready' };
  const detector = mockMethods<DetectorService>()({ status: () => ({ state: detectorState.state }) as DetectorStatus });
  const config = { role: options.role ?? 'all', detector: { seriesRoot: ROOT, maxJobs: 50 }, jobs: { lockMs: 30_000 } } as unknown as AppConfig;
  const service = new DetectionJobsService(
    asDependency<DetectionJobsRepository>(jobs),
    asDependency<JobQueue>({ ...queue, distributed: options.distributed ?? false }),
    asDependency<DetectorService>(detector),
    asDependency<SeriesFilesRepository>(files),
    config,
  );
  return { service, jobs, queue, detectorState };
}

describe('DetectionJobsService (typed mocks)', () => {
  it('records a job with the slice count and options, then queues it with the same id', async () => {
    const { service, jobs, queue } = setup();
    const view = await service.startJob('ct/s1', { spacingMm: 0.7 });
    const [id, series, total, jobOptions, status, keep] = jobs.create.mock.calls[0];
    expect([series, total, jobOptions, status, keep]).toEqual(['ct/s1', 3, { spacingMm: 0.7 }, 'running', 50]);
    expect(queue.enqueue).toHaveBeenCalledWith('detection', { jobId: id, series: 'ct/s1', spacingMm: 0.7 });
    expect(view).toMatchObject({ id, status: 'running', series: 'ct/s1', total: 3 });
  });

  it('records a job for BullMQ as queued', async () => {
    const { service, jobs } = setup({ distributed: true });
    await service.startJob('ct/s1', {});
    expect(jobs.create.mock.calls[0][4]).toBe('queued');
  });

  it('marks the job failed when it cannot be queued, and passes the error on', async () => {
    const { service, jobs, queue } = setup();
    queue.enqueue.mockRejectedValueOnce(new Error('redis down'));
    await expect(service.startJob('ct/s1', {})).rejects.toThrow('redis down');
    expect(jobs.setStatus).toHaveBeenCalledWith(jobs.create.mock.calls[0][0], 'failed', 'the job could not be queued');
  });

  it.each([
    ['../etc', 'the series folder must lie under the configured DETECTION_SERIES_ROOT'],
    ['missing', 'the series folder missing does not exist under DETECTION_SERIES_ROOT'],
    ['empty', 'the series folder empty holds no slice files ({slice}.png)'],
    ['escape', 'the series folder must lie under the configured DETECTION_SERIES_ROOT'],
  ])('refuses the series %p with a 400 naming why, and records nothing', async (series, message) => {
    const { service, jobs, queue } = setup({ folders: { [`${ROOT}/escape`]: '/etc' } });
    await expect(service.startJob(series, {})).rejects.toThrow(new BadRequestException(message));
    expect(jobs.create).not.toHaveBeenCalled();
    expect(queue.enqueue).not.toHaveBeenCalled();
  });

  it('answers 503 while the detector loads or after it failed, before touching the folder', async () => {
    const { service, jobs, detectorState } = setup();
    detectorState.state = 'loading';
    await expect(service.startJob('ct/s1', {})).rejects.toThrow(new ServiceUnavailableException('The detector is still loading'));
    detectorState.state = 'failed';
    await expect(service.startJob('ct/s1', {})).rejects.toThrow(new ServiceUnavailableException('The detector failed to load (see the service log)'));
    expect(jobs.create).not.toHaveBeenCalled();
  });

  it('404s an unknown job with its id', async () => {
    const { service } = setup();
    expect((await service.getJob('job-1')).id).toBe('job-1');
    await expect(service.getJob('nope')).rejects.toThrow(new NotFoundException('No detection job nope'));
  });

  it('re-queues stale in-process jobs at start with their options, but not under BullMQ or in an api process', async () => {
    const local = setup();
    await local.service.onApplicationBootstrap();
    expect(local.jobs.setStatus).toHaveBeenCalledWith('stale-1', 'queued');
    expect(local.queue.enqueue).toHaveBeenCalledWith('detection', { jobId: 'stale-1', series: 'ct/s1', spacingMm: 0.8 });
    for (const other of [setup({ distributed: true }), setup({ role: 'api' })]) {
      await other.service.onApplicationBootstrap();
      expect(other.jobs.stale).not.toHaveBeenCalled();
      expect(other.queue.enqueue).not.toHaveBeenCalled();
    }
  });
});
