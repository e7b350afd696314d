import { DetectionJobRegistry } from './detection-jobs';

describe('detection job registry', () => {
  it('tracks progress, reports results only when finished, and drops the oldest finished jobs', () => {
    const jobs = new DetectionJobRegistry(2);
    const a = jobs.create('series-a', 2);
    jobs.sliceDone(a, '001.png', [{ box: { x1: 0, y1: 0, x2: 5, y2: 5 }, score: 1 }]);
    expect(jobs.get(a)).toMatchObject({ status: 'running', done: 1, total: 2, failed: 0 });
    expect(jobs.get(a)!.results).toBeUndefined();
    jobs.sliceFailed(a, '002.png', 'corrupt PNG');
    jobs.finish(a);
    expect(jobs.get(a)).toMatchObject({ status: 'completed', done: 2, failed: 1, errors: [{ slice: '002.png', message: 'corrupt PNG' }] });
    expect(jobs.get(a)!.results).toHaveLength(1);
    const b = jobs.create('series-b', 1);
    const c = jobs.create('series-c', 1);
    expect(jobs.get(a)).toBeNull();
    expect(jobs.get(b)).not.toBeNull();
    expect(jobs.get(c)).not.toBeNull();
  });
});
