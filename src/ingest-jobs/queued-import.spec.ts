import { BadRequestException } from '@nestjs/common';
import { prepareQueuedImport } from './queued-import';

describe('prepareQueuedImport', () => {
  const jobsFinishing = () => ({ finishJob: jest.fn(async () => undefined) });

  it('gives the prepared source and leaves the job alone', async () => {
    const jobs = jobsFinishing();
    await expect(prepareQueuedImport(jobs, 'job-1', async () => 'source')).resolves.toBe('source');
    expect(jobs.finishJob).not.toHaveBeenCalled();
  });

  it("fails the job with a refused request's message, or a generic one for anything else", async () => {
    const jobs = jobsFinishing();
    await expect(
      prepareQueuedImport(jobs, 'job-1', async () => {
        throw new BadRequestException('the CSV file is gone');
      }),
    ).resolves.toBeNull();
    await expect(
      prepareQueuedImport(jobs, 'job-2', async () => {
        throw new Error('a bug');
      }),
    ).resolves.toBeNull();
    expect(jobs.finishJob.mock.calls).toEqual([
      ['job-1', 'failed', 'the CSV file is gone'],
      ['job-2', 'failed', 'the import could not start'],
    ]);
  });

  it('throws a transient error for the queue to retry, without failing the job', async () => {
    const jobs = jobsFinishing();
    const lost = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await expect(
      prepareQueuedImport(jobs, 'job-1', async () => {
        throw lost;
      }),
    ).rejects.toBe(lost);
    expect(jobs.finishJob).not.toHaveBeenCalled();
  });
});
