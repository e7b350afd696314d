import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ALL_DATASETS, scopeOf } from '../../src/common/dataset-scope';
import { AppConfig } from '../../src/config/app-config';
import { EmbeddingService } from '../../src/ingest-jobs/embedding.service';
import { IngestJobEntity } from '../../src/ingest-jobs/ingest-job.entity';
import { IngestRepository } from '../../src/ingest-jobs/ingest.repository';
import { IngestService } from '../../src/ingest/ingest.service';
import { JobQueue } from '../../src/jobs/job-queue.port';
import { LesionsService } from '../../src/lesions/lesions.service';
import { TagPredictionService } from '../../src/tags/prediction/tag-prediction.service';
import { VocabularyService } from '../../src/tags/vocabulary.service';
import { asDependency, mockMethods } from '../helpers/typed-mocks';

// The fields a job view is made of; the entity's other columns do not reach the service's answers.
const job = (id: string, dataset: string) =>
  ({
    id,
    status: 'completed',
    format: 'deeplesion',
    dataset,
    csvPath: `/srv/imports/${dataset}/DL_info.csv`,
    totalRows: 10,
    cursor: 10,
    importedRows: 9,
    skippedRows: 1,
    embeddedRows: 9,
    errors: [],
    message: null,
    startedAt: new Date(0),
    updatedAt: new Date(10_000),
    finishedAt: new Date(10_000),
  }) as unknown as IngestJobEntity;

function setup(distributed = false) {
  const repository = mockMethods<IngestRepository>()({
    getJob: async (id: string) => (id === 'a1' ? job('a1', 'site-a') : id === 'b1' ? job('b1', 'site-b') : null),
    listJobs: async () => [job('a1', 'site-a'), job('b1', 'site-b'), job('a2', 'site-a')],
    markOrphansInterrupted: async () => 2,
  });
  const queue = mockMethods<JobQueue>()({ assertRoom: async () => undefined, enqueue: async () => undefined, handle: () => undefined });
  const service = new IngestService(
    asDependency<IngestRepository>(repository),
    asDependency<EmbeddingService>({}),
    { ingest: { roots: null, maxCsvBytes: 1 << 20, maxCsvLineLength: 1 << 16 } } as unknown as AppConfig,
    asDependency<VocabularyService>({}),
    asDependency<TagPredictionService>({}),
    asDependency<LesionsService>({}),
    asDependency<JobQueue>({ ...queue, distributed }),
  );
  return { service, repository, queue };
}

describe('IngestService (typed repository mocks)', () => {
  it('shows a job with its file name only, never the server path', async () => {
    const { service } = setup();
    const view = await service.getJob('a1');
    expect(view).toMatchObject({ id: 'a1', source: 'DL_info.csv', processedRows: 10, importedRows: 9, percent: 100 });
    expect(JSON.stringify(view)).not.toContain('/srv/imports');
  });

  it('answers a job of another dataset exactly like a missing one', async () => {
    const { service } = setup();
    await expect(service.getJob('b1', scopeOf(['site-a']))).rejects.toThrow(new NotFoundException('No import job b1'));
    await expect(service.getJob('zz', scopeOf(['site-a']))).rejects.toThrow(new NotFoundException('No import job zz'));
    expect((await service.getJob('b1', ALL_DATASETS)).dataset).toBe('site-b');
  });

  it("lists only the jobs of the scope's datasets, asking the repository for the limit", async () => {
    const { service, repository } = setup();
    expect((await service.listJobs(scopeOf(['site-a']), 20)).map((j) => j.id)).toEqual(['a1', 'a2']);
    expect(repository.listJobs).toHaveBeenCalledWith(20);
    expect((await service.listJobs()).map((j) => j.id)).toEqual(['a1', 'b1', 'a2']);
  });

  it('marks imports cut off by a previous stop as interrupted at start', async () => {
    const { service, repository } = setup();
    await service.onApplicationBootstrap();
    expect(repository.markOrphansInterrupted).toHaveBeenCalledTimes(1);
  });

  it('refuses a DICOM format on the shared queue with a 400 before checking room or queueing', async () => {
    const { service, queue } = setup(true);
    for (const format of ['dicom', 'dicomweb'] as const) {
      await expect(service.submit({ format, csvPath: '/x.csv', imagesDir: '/x', dataset: 'site-a' })).rejects.toThrow(
        new BadRequestException(`format ${format} is imported by the DICOM archive importer, not as a CSV import`),
      );
    }
    expect(queue.assertRoom).not.toHaveBeenCalled();
    expect(queue.enqueue).not.toHaveBeenCalled();
  });
});
