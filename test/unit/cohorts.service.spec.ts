import { ForbiddenException, NotFoundException } from '@nestjs/common';
import { ALL_DATASETS, scopeOf } from '../../src/common/dataset-scope';
import { CohortsRepository, CohortVersionRow } from '../../src/cohorts/cohorts.repository';
import { CohortsService } from '../../src/cohorts/cohorts.service';
import { GrowthService } from '../../src/growth/growth.service';
import { LesionsService } from '../../src/lesions/lesions.service';
import { SimilarLesions } from '../../src/lesions/similar-lesions.port';
import { EncoderService, EncoderStatus } from '../../src/ml/encoder.service';
import { LesionTagsService } from '../../src/tags/lesion-tags.service';
import { TagQueryService } from '../../src/tags/query/tag-query.service';
import { VocabularyService, VocabularySnapshot } from '../../src/tags/vocabulary.service';
import { asDependency, mockMethods } from '../helpers/typed-mocks';

const savedRow = (over: Partial<CohortVersionRow> = {}): CohortVersionRow => ({
  cohortId: 7,
  name: 'Liver',
  description: null,
  version: 1,
  latestVersion: 1,
  definition: { criteria: { dataset: ['site-a'] } },
  memberCount: 2,
  membersMd5: 'md5-of-2',
  vocabularyVersion: 3,
  labelsVersion: 5,
  modelId: 'model-1',
  createdBy: 'alice',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  ...over,
});

function setup() {
  const repository = mockMethods<CohortsRepository>()({
    counts: async () => [
      { dim: 'total', key: null, count: 2 },
      { dim: 'type', key: '4', count: 1 },
      { dim: 'type', key: '2', count: 1 },
    ],
    pageIds: async () => [11, 12],
    fingerprint: async () => ({ count: 2, md5: 'md5-of-2' }),
    createCohort: async () => 7,
    updateDescription: async () => undefined,
    addVersion: async () => 1,
    findVersion: async (_id: number, version?: number) => savedRow({ version: version ?? 1 }),
    list: async () => [],
    delete: async () => true,
    streamMembers: async () => 0,
  });
  const lesions = mockMethods<LesionsService>()({ getLesionViews: async () => [] });
  const tagQueries = mockMethods<TagQueryService>()({
    compile: async (text: string) => ({
      sql: 'SELECT lesion_id, 1 AS score FROM lesion_term WHERE term_id = 9',
      interpretation: { text, understood: text, terms: [], unknownWords: [], corrections: [], warnings: [] },
    }),
  });
  const tags = mockMethods<LesionTagsService>()({ labelsVersion: async () => 5, termsOf: async () => new Map() });
  const vocabulary = mockMethods<VocabularyService>()({ current: async () => new VocabularySnapshot([], new Map(), 3) });
  const similarLesions = mockMethods<SimilarLesions>()({
    similarAbove: async () => [
      { lesionId: 11, similarity: 0.9 },
      { lesionId: 13, similarity: 0.8 },
    ],
  });
  const encoder = mockMethods<EncoderService>()({
    status: (): EncoderStatus => ({ state: 'ready', message: null, name: 'enc', modelId: 'model-1', dim: 4, providers: ['cpu'] }),
  });
  const growth = mockMethods<GrowthService>()({ lesionsWithResponse: async () => [13, 14] });
  const service = new CohortsService(
    asDependency<CohortsRepository>(repository),
    asDependency<LesionsService>(lesions),
    asDependency<TagQueryService>(tagQueries),
    asDependency<LesionTagsService>(tags),
    asDependency<VocabularyService>(vocabulary),
    asDependency<SimilarLesions>(similarLesions),
    asDependency<EncoderService>(encoder),
    asDependency<GrowthService>(growth),
  );
  return { service, repository, tagQueries, similarLesions, growth };
}

describe('CohortsService (typed repository mocks)', () => {
  it('saves a new cohort as version 1 with the fingerprint, vocabulary, labels and model of the moment', async () => {
    const { service, repository } = setup();
    await service.create({ name: 'Liver', definition: { criteria: { dataset: ['site-a'] } } }, 'alice', ALL_DATASETS);
    expect(repository.createCohort).toHaveBeenCalledWith('Liver', null, 'alice');
    expect(repository.addVersion).toHaveBeenCalledWith(7, {
      definition: { criteria: { dataset: ['site-a'] } },
      memberCount: 2,
      membersMd5: 'md5-of-2',
      vocabularyVersion: 3,
      labelsVersion: 5,
      modelId: 'model-1',
      createdBy: 'alice',
    });
    expect(repository.findVersion).toHaveBeenLastCalledWith(7, 1);
  });

  it("narrows a scoped key's definition to its datasets before saving, and refuses a dataset outside them with a 403", async () => {
    const { service, repository } = setup();
    await service.create({ name: 'Scoped', definition: {} }, 'bob', scopeOf(['site-a']));
    expect(repository.addVersion.mock.calls[0][1].definition).toEqual({ criteria: { dataset: ['site-a'] } });
    await expect(service.create({ name: 'Outside', definition: { criteria: { dataset: ['site-b'] } } }, 'bob', scopeOf(['site-a']))).rejects.toThrow(
      ForbiddenException,
    );
    expect(repository.createCohort).toHaveBeenCalledTimes(1);
  });

  it('intersects the similar-to lesions with the responding ones, and compiles the tag query into the member query', async () => {
    const { service, repository, similarLesions, growth } = setup();
    const preview = await service.preview(
      { tags: 'liver', similarTo: { lesionId: 11, minSimilarity: 0.5, excludeSamePatient: true }, response: ['PD'] },
      ALL_DATASETS,
    );
    expect(similarLesions.similarAbove).toHaveBeenCalledWith(11, 0.5, true, ALL_DATASETS);
    expect(growth.lesionsWithResponse).toHaveBeenCalledWith(['PD'], ALL_DATASETS);
    const query = repository.counts.mock.calls[0][0];
    expect(query.lesionIds).toEqual([13]);
    expect(query.tagSql).toBe('SELECT lesion_id, 1 AS score FROM lesion_term WHERE term_id = 9');
    expect(preview.similarTo).toEqual({ lesionId: 11, minSimilarity: 0.5, matched: 2 });
    expect(preview.response).toEqual({ categories: ['PD'], matched: 2 });
    // Counts by type come back sorted by code with their names, whatever order SQL gave.
    expect(preview.counts.total).toBe(2);
    expect(preview.counts.byType.map((t) => t.code)).toEqual([2, 4]);
  });

  it('returns the version an update saved, not the latest one a concurrent update may have added', async () => {
    const { service, repository } = setup();
    repository.addVersion.mockResolvedValueOnce(4);
    repository.findVersion.mockImplementation(async (_id, version) => savedRow({ version: version ?? 5, latestVersion: 5 }));
    const result = await service.update(7, { definition: { criteria: { dataset: ['site-a'] } }, description: 'new text' }, 'carol', ALL_DATASETS);
    expect(repository.updateDescription).toHaveBeenCalledWith(7, 'new text');
    expect(repository.findVersion).toHaveBeenLastCalledWith(7, 4);
    expect(result.cohort.version).toBe(4);
    expect(result.cohort.latestVersion).toBe(5);
  });

  it('updates nothing for an unknown cohort, and 404s with its id', async () => {
    const { service, repository } = setup();
    repository.findVersion.mockResolvedValue(null);
    await expect(service.update(99, { definition: {} }, 'carol', ALL_DATASETS)).rejects.toThrow(new NotFoundException('Cohort 99 does not exist'));
    expect(repository.updateDescription).not.toHaveBeenCalled();
    expect(repository.addVersion).not.toHaveBeenCalled();
  });

  it('treats a cohort of another dataset as missing: get and delete 404 and delete nothing', async () => {
    const { service, repository } = setup();
    await expect(service.delete(7, scopeOf(['site-b']))).rejects.toThrow(new NotFoundException('Cohort 7 does not exist'));
    expect(repository.delete).not.toHaveBeenCalled();
    await expect(service.get(7, { version: 2 }, scopeOf(['site-b']))).rejects.toThrow(new NotFoundException('Cohort 7 has no version 2'));
    await service.delete(7, scopeOf(['site-a']));
    expect(repository.delete).toHaveBeenCalledWith(7);
  });

  it('404s a delete that lost a race with another delete', async () => {
    const { service, repository } = setup();
    repository.delete.mockResolvedValue(false);
    await expect(service.delete(7, ALL_DATASETS)).rejects.toThrow(NotFoundException);
  });

  it('lists only the cohorts whose datasets all lie inside the scope, without their dataset filter', async () => {
    const { service, repository } = setup();
    const row = (id: number, datasetFilter: unknown) => ({
      id,
      name: `c${id}`,
      description: null,
      version: 1,
      memberCount: 0,
      createdAt: new Date(0),
      createdBy: null,
      datasetFilter,
    });
    repository.list.mockResolvedValue([row(1, ['site-a']), row(2, ['site-a', 'site-b']), row(3, null), row(4, 'site-a')]);
    const listed = await service.list(scopeOf(['site-a']));
    expect(listed.map((c) => c.id)).toEqual([1, 4]);
    expect(listed[0]).not.toHaveProperty('datasetFilter');
    expect((await service.list(ALL_DATASETS)).map((c) => c.id)).toEqual([1, 2, 3, 4]);
  });

  it('reports a re-run as reproduced only when both the count and the checksum match the saved ones', async () => {
    const { service, repository } = setup();
    expect((await service.get(7, {}, ALL_DATASETS)).reproduced).toMatchObject({
      sameMembers: true,
      memberCount: 2,
      vocabularyChanged: false,
      labelsChanged: false,
      modelChanged: false,
    });
    repository.fingerprint.mockResolvedValue({ count: 2, md5: 'other' });
    expect((await service.get(7, {}, ALL_DATASETS)).reproduced.sameMembers).toBe(false);
  });
});
