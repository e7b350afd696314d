import { BadRequestException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ALL_DATASETS, DatasetScope, scopeOf } from '../../src/common/dataset-scope';
import { ReferencedSliceService } from '../../src/dicomweb/referenced-slice.service';
import { LesionView } from '../../src/lesions/lesion.view';
import { LesionsService } from '../../src/lesions/lesions.service';
import { EncoderService, EncoderStatus } from '../../src/ml/encoder.service';
import { FeedbackTokens } from '../../src/search/feedback-tokens';
import { SimilarSearchDto, toSimilarQuery } from '../../src/search/search.dto';
import { SearchService } from '../../src/search/search.service';
import { TagPredictionService } from '../../src/tags/prediction/tag-prediction.service';
import { TagQueryService } from '../../src/tags/query/tag-query.service';
import { UploadDecoder } from '../../src/uploads/upload-decoder.service';
import { LesionMeta } from '../../src/vector-index/lesion-meta';
import { IndexHit, VectorIndexService } from '../../src/vector-index/vector-index.service';
import { asDependency, mockMethods } from '../helpers/typed-mocks';

const meta = (lesionId: number, over: Partial<LesionMeta> = {}): LesionMeta => ({
  label: lesionId,
  lesionId,
  patientId: 100 + lesionId,
  studyId: 200 + lesionId,
  dataset: 'site-a',
  coarseType: 4,
  sex: 'F',
  ageYears: 50,
  longAxisMm: 20,
  split: 1,
  location: null,
  ...over,
});
const hit = (lesionId: number, similarity: number): IndexHit => ({ label: lesionId, similarity, meta: meta(lesionId) });
// The service passes views through; only the id matters to it.
const view = (id: number) => ({ id, dataset: 'site-a' }) as LesionView;
const dto = (over: Partial<SimilarSearchDto>, scope: DatasetScope = ALL_DATASETS) => toSimilarQuery(Object.assign(new SimilarSearchDto(), over), scope);

function setup() {
  const index = mockMethods<VectorIndexService>()({
    isReady: () => true,
    metaOf: (id: number) => (id === 999 ? null : id === 50 ? meta(50, { dataset: 'site-b' }) : meta(id)),
    search: async () => [hit(2, 0.9), hit(3, 0.7), hit(4, 0.5)],
  });
  const lesions = mockMethods<LesionsService>()({ getLesionViews: async (ids: number[]) => ids.filter((id) => id !== 3).map(view) });
  const encoder = mockMethods<EncoderService>()({
    status: (): EncoderStatus => ({ state: 'ready', message: null, name: 'enc', modelId: 'model-1', dim: 4, providers: [] }),
  });
  const tokens = mockMethods<FeedbackTokens>()({ sign: (q: number, h: number) => `token-${q}-${h}` });
  const tagQueries = mockMethods<TagQueryService>()({
    matchingLesionIds: async (text: string) => ({
      lesionIds: new Set([2, 4]),
      interpretation: { text, understood: text, terms: [], unknownWords: [], corrections: [], warnings: [] },
    }),
  });
  const service = new SearchService(
    asDependency<LesionsService>(lesions),
    asDependency<EncoderService>(encoder),
    asDependency<VectorIndexService>(index),
    asDependency<TagQueryService>(tagQueries),
    asDependency<TagPredictionService>({}),
    asDependency<UploadDecoder>({}),
    asDependency<FeedbackTokens>(tokens),
    asDependency<ReferencedSliceService>({}),
  );
  return { service, index, encoder };
}

describe('SearchService (typed mocks)', () => {
  it('searches by lesion without itself and its patient, signs a feedback token per hit, and drops hits with no view', async () => {
    const { service, index } = setup();
    const result = await service.similar(dto({ lesionId: 1, k: 3 }), ALL_DATASETS);
    expect(index.search).toHaveBeenCalledWith({ lesionId: 1 }, 3, { excludeLesionId: 1, excludePatientId: 101 });
    expect(result.hits.map((h) => [h.lesion.id, h.similarity, h.feedbackToken])).toEqual([
      [2, 0.9, 'token-1-2'],
      [4, 0.5, 'token-1-4'],
    ]);
    expect(result.model).toEqual({ name: 'enc', modelId: 'model-1' });
  });

  it("drops hits below minSimilarity and narrows to a tag query's lesions", async () => {
    const { service, index } = setup();
    const result = await service.similar(
      dto({ lesionId: 1, minSimilarity: 0.6, tags: 'liver', excludeSamePatient: false, excludeSameStudy: true }),
      ALL_DATASETS,
    );
    expect(index.search.mock.calls[0][2]).toEqual({ excludeLesionId: 1, excludeStudyId: 201, lesionIds: new Set([2, 4]) });
    expect(result.hits.map((h) => h.lesion.id)).toEqual([2]);
    expect(result.tags?.text).toBe('liver');
  });

  it('looks four times further down the list when re-ranking weights are set', async () => {
    const { service, index } = setup();
    await service.similar(dto({ lesionId: 1, k: 5, sizeWeight: 0.5 }), ALL_DATASETS);
    expect(index.search.mock.calls[0][1]).toBe(20);
  });

  it("limits the candidates to the scope's datasets and answers a query lesion outside it like an unknown one", async () => {
    const { service, index } = setup();
    await service.similar(dto({ lesionId: 1 }, scopeOf(['site-a'])), scopeOf(['site-a']));
    expect(index.search.mock.calls[0][2]).toMatchObject({ datasets: ['site-a'] });
    const outside = await service.similar(dto({ lesionId: 50 }, scopeOf(['site-a'])), scopeOf(['site-a'])).catch((e: unknown) => e);
    const unknown = await service.similar(dto({ lesionId: 999 }, scopeOf(['site-a'])), scopeOf(['site-a'])).catch((e: unknown) => e);
    expect(outside).toBeInstanceOf(NotFoundException);
    expect((outside as Error).message).toBe('Lesion 50 is not in the similarity index (unknown, or not embedded yet: run npm run embed)');
    expect((unknown as Error).message).toBe((outside as Error).message.replace('50', '999'));
  });

  it('refuses a query with neither or both of lesionId and a slice (400), and any query before the index is ready (503)', async () => {
    const { service, index } = setup();
    await expect(service.similar(dto({}), ALL_DATASETS)).rejects.toThrow(BadRequestException);
    await expect(service.similar(dto({ lesionId: 1 }), ALL_DATASETS, Buffer.from('x'))).rejects.toThrow(/exactly one of them/);
    index.isReady.mockReturnValue(false);
    await expect(service.similar(dto({ lesionId: 1 }), ALL_DATASETS)).rejects.toThrow(new ServiceUnavailableException('The similarity index is not ready yet'));
    await expect(service.similarAbove(1, 0.5, true, ALL_DATASETS)).rejects.toThrow(ServiceUnavailableException);
    expect(index.search).not.toHaveBeenCalled();
  });

  it('answers 503, not 500, when the encoder unloads during a query', async () => {
    const { service, encoder } = setup();
    encoder.status.mockReturnValue({ state: 'loading', message: null, name: 'enc', modelId: null, dim: null, providers: [] });
    await expect(service.similar(dto({ lesionId: 1 }), ALL_DATASETS)).rejects.toThrow(ServiceUnavailableException);
  });

  it('widens similarAbove four-fold until a hit falls below the threshold, and returns only those above it', async () => {
    const { service, index } = setup();
    index.search.mockImplementation(async (_query, k) => Array.from({ length: k }, (_, i) => hit(i + 2, k < 4096 ? 0.99 : 0.99 - i / 4096)));
    const above = await service.similarAbove(1, 0.9, true, ALL_DATASETS);
    expect(index.search.mock.calls.map((c) => c[1])).toEqual([256, 1024, 4096]);
    expect(index.search.mock.calls[0][2]).toEqual({ excludeLesionId: 1, excludePatientId: 101 });
    expect(above.length).toBe(Array.from({ length: 4096 }, (_, i) => 0.99 - i / 4096).filter((s) => s >= 0.9).length);
    expect(above.every((h) => h.similarity >= 0.9)).toBe(true);
  });

  it('stops similarAbove at the cap', async () => {
    const { service, index } = setup();
    index.search.mockImplementation(async (_query, k) => Array.from({ length: k }, (_, i) => hit(i + 2, 0.99)));
    const above = await service.similarAbove(1, 0.5, false, ALL_DATASETS, 300);
    expect(index.search.mock.calls.map((c) => c[1])).toEqual([256, 300]);
    expect(above).toHaveLength(300);
  });
});
