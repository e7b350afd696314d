import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { DetectionJobsRepository } from '../../src/detection/detection-jobs.repository';
import { createTestDatabase, TestDatabase } from '../helpers/database';

/** Detection jobs in PostgreSQL (migration 1765500000000): what makes a second delivery of a job harmless. */
describe('detection jobs (medium)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let jobs: DetectionJobsRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await new DataSource(dataSourceOptions(database.url)).initialize();
    jobs = new DetectionJobsRepository(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('records each slice once: a runner that is not where the job is gets false and records nothing', async () => {
    const job = await jobs.create(randomUUID(), 'series/a', 2, { spacingMm: 0.8 }, 'running', 10);
    expect(job).toMatchObject({ status: 'running', done: 0, total: 2, options: { spacingMm: 0.8 } });
    expect(await jobs.recordSlice(job.id, 0, { result: { slice: '001.png', detections: [] } })).toBe(true);
    // A second runner of the same job, still at slice 0.
    expect(await jobs.recordSlice(job.id, 0, { result: { slice: '001.png', detections: [] } })).toBe(false);
    expect(await jobs.recordSlice(job.id, 1, { error: { slice: '002.png', message: 'corrupt PNG' } })).toBe(true);
    await jobs.setStatus(job.id, 'completed');
    expect(await jobs.recordSlice(job.id, 2, { result: { slice: '003.png', detections: [] } })).toBe(false);
    expect(await jobs.get(job.id)).toMatchObject({
      status: 'completed',
      done: 2,
      failed: 1,
      results: [{ slice: '001.png' }],
      errors: [{ slice: '002.png', message: 'corrupt PNG' }],
    });
    // The table's own checks: done never passes total.
    await expect(db.query(`UPDATE detection_job SET done = 3 WHERE id = $1`, [job.id])).rejects.toThrow(/check constraint/);
  });

  it('makes a second holder of a job wait until the first lets go', async () => {
    const id = randomUUID();
    const order: string[] = [];
    let release!: () => void;
    const first = jobs.withJobLock(id, async () => {
      order.push('first in');
      await new Promise<void>((resolve) => (release = resolve));
      order.push('first out');
    });
    while (!release) await new Promise((resolve) => setTimeout(resolve, 10));
    const second = jobs.withJobLock(id, async () => order.push('second in'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(order).toEqual(['first in']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
  });

  it('finds unfinished jobs nobody advanced for a while, and keeps only the newest finished ones', async () => {
    const stale = await jobs.create(randomUUID(), 'series/stale', 3, {}, 'running', 100);
    await db.query(`UPDATE detection_job SET updated_at = now() - interval '10 minutes' WHERE id = $1`, [stale.id]);
    await jobs.create(randomUUID(), 'series/fresh', 3, {}, 'queued', 100);
    expect((await jobs.stale(60_000)).map((j) => j.id)).toEqual([stale.id]);

    for (let i = 0; i < 3; i++) {
      const done = await jobs.create(randomUUID(), `series/done-${i}`, 1, {}, 'running', 100);
      await jobs.setStatus(done.id, 'completed');
    }
    await jobs.create(randomUUID(), 'series/new', 1, {}, 'running', 2);
    const finished = (await db.query(`SELECT count(*)::int AS n FROM detection_job WHERE status IN ('completed', 'failed')`))[0].n;
    expect(finished).toBe(1);
    expect((await jobs.stale(60_000)).map((j) => j.id)).toEqual([stale.id]);
  });
});
