import { HttpException } from '@nestjs/common';
import { isTransientError } from '../jobs/transient-error';
import { IngestRepository } from './ingest.repository';

/**
 * A queued import's source, prepared again on the worker (the CSV and the DICOM importer alike); null once
 * the job is marked failed because its request no longer passes. A transient error is thrown instead, for
 * the queue to retry.
 */
export async function prepareQueuedImport<T>(jobs: Pick<IngestRepository, 'finishJob'>, jobId: string, prepare: () => Promise<T>): Promise<T | null> {
  try {
    return await prepare();
  } catch (error) {
    if (isTransientError(error)) throw error;
    await jobs.finishJob(jobId, 'failed', error instanceof HttpException ? error.message : 'the import could not start');
    return null;
  }
}
