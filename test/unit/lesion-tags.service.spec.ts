import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ALL_DATASETS, scopeOf } from '../../src/common/dataset-scope';
import { DEFAULT_VOCABULARY } from '../../src/tags/vocabulary/default-vocabulary';
import { LesionTagRow, LesionTagsRepository } from '../../src/tags/lesion-tags.repository';
import { LesionTagsService } from '../../src/tags/lesion-tags.service';
import { TagPredictionService } from '../../src/tags/prediction/tag-prediction.service';
import { VocabularyService, VocabularySnapshot } from '../../src/tags/vocabulary.service';
import { asDependency, mockMethods } from '../helpers/typed-mocks';

const ids = new Map(DEFAULT_VOCABULARY.map((t, i) => [t.name, i + 1]));
const snapshot = new VocabularySnapshot([...DEFAULT_VOCABULARY], ids, 1);
const idOf = (name: string) => ids.get(name)!;

const row = (lesionId: number, term: string, over: Partial<LesionTagRow> = {}): LesionTagRow => ({
  lesionId,
  term,
  termId: idOf(term),
  source: 'coarse_type',
  confidence: 1,
  uncertain: false,
  rejected: false,
  modelId: null,
  createdBy: null,
  createdAt: new Date(0),
  ...over,
});

function setup() {
  const repository = mockMethods<LesionTagsRepository>()({
    lesionDataset: async (id: number) => (id === 404 ? null : 'site-a'),
    tagsOf: async () => [],
    addCuratorTag: async () => undefined,
    rejectTerms: async () => 1,
    saveReport: async () => undefined,
    replaceSourceTags: async (_source, _lesionIds, tags) => tags.length,
    lesionIdsBySourceRow: async () =>
      new Map([
        [10, 100],
        [11, 101],
      ]),
  });
  const vocabulary = mockMethods<VocabularyService>()({ current: async () => snapshot });
  const prediction = mockMethods<TagPredictionService>()({ schedule: () => undefined });
  const service = new LesionTagsService(
    asDependency<LesionTagsRepository>(repository),
    asDependency<VocabularyService>(vocabulary),
    asDependency<TagPredictionService>(prediction),
  );
  return { service, repository, prediction };
}

describe('LesionTagsService (typed repository mocks)', () => {
  it('adds a curator tag by the term a synonym names, and schedules a new prediction', async () => {
    const { service, repository, prediction } = setup();
    await service.addCuratorTag(5, 'Hepatic', 'alice', ALL_DATASETS);
    expect(repository.addCuratorTag).toHaveBeenCalledWith(5, idOf('liver'), 'alice');
    expect(prediction.schedule).toHaveBeenCalledTimes(1);
  });

  it('refuses an unknown term with a 400 that suggests near terms, and writes nothing', async () => {
    const { service, repository, prediction } = setup();
    const refusal = await service.addCuratorTag(5, 'livr', 'alice', ALL_DATASETS).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(BadRequestException);
    const body = (refusal as BadRequestException).getResponse() as { message: string; suggestions: string[] };
    expect(body.message).toBe('"livr" is not a term of the vocabulary');
    expect(body.suggestions).toContain('liver');
    expect(repository.addCuratorTag).not.toHaveBeenCalled();
    expect(prediction.schedule).not.toHaveBeenCalled();
  });

  it('answers a lesion of another dataset exactly like a missing one', async () => {
    const { service, repository } = setup();
    const missing = await service.tagsOf(404, ALL_DATASETS).catch((e: unknown) => e);
    const hidden = await service.tagsOf(5, scopeOf(['site-b'])).catch((e: unknown) => e);
    expect(missing).toEqual(new NotFoundException('Lesion 404 does not exist'));
    expect(hidden).toEqual(new NotFoundException('Lesion 5 does not exist'));
    await expect(service.removeTag(5, 'liver', 'bob', scopeOf(['site-b']))).rejects.toThrow(NotFoundException);
    expect(repository.rejectTerms).not.toHaveBeenCalled();
  });

  it('removes a term together with its descendants', async () => {
    const { service, repository } = setup();
    await service.removeTag(5, 'lung', 'bob', ALL_DATASETS);
    const [lesionId, termIds, by] = repository.rejectTerms.mock.calls[0];
    expect([lesionId, by]).toEqual([5, 'bob']);
    expect(termIds).toEqual(expect.arrayContaining([idOf('lung'), idOf('right lung'), idOf('left lung')]));
    expect(termIds).not.toContain(idOf('liver'));
  });

  it("stores a mined report's positive terms only, and reports the negated ones", async () => {
    const { service, repository } = setup();
    const mined = await service.mineLesionReport(5, 'Hypodense liver lesion. No lung nodule.', ALL_DATASETS);
    expect(repository.saveReport).toHaveBeenCalledWith(5, 'Hypodense liver lesion. No lung nodule.');
    const [source, lesionIds, tags, extra] = repository.replaceSourceTags.mock.calls[0];
    expect([source, lesionIds, extra]).toEqual(['report_mined', [5], { bumpLabels: true }]);
    expect(tags.map((t) => t.termId)).toContain(idOf('liver'));
    expect(tags.map((t) => t.termId)).not.toContain(idOf('lung'));
    expect(mined.stored.map((t) => t.term)).toContain('liver');
    expect(mined.negated).toContain('lung');
  });

  it('keeps the best confidence of each term, best first, and leaves rejected terms out of termsOf', async () => {
    const { service, repository } = setup();
    repository.tagsOf.mockResolvedValue([
      row(1, 'liver', { source: 'predicted', confidence: 0.4 }),
      row(1, 'liver', { source: 'curator', confidence: 0.9 }),
      row(1, 'abdomen', { confidence: 1 }),
      row(1, 'lung', { rejected: true }),
    ]);
    const terms = await service.termsOf([1, 2]);
    expect(terms.get(1)).toEqual([
      { term: 'abdomen', confidence: 1, source: 'coarse_type' },
      { term: 'liver', confidence: 0.9, source: 'curator' },
    ]);
    expect(terms.get(2)).toEqual([]);
  });

  it('imports LesaNet labels: certain wins over uncertain, unmatched rows and unknown terms are counted', async () => {
    const { service, repository } = setup();
    const file = {
      term_list: ['liver', 'nosuchterm', 'lung'],
      train_lesion_idxs: [10, 11, 12],
      train_relevant_labels: [[0], [1], [2]],
      train_uncertain_labels: [[2], [], []],
    };
    const summary = await service.importLesaNetLabels(file, 'site-a');
    expect(repository.lesionIdsBySourceRow).toHaveBeenCalledWith([10, 11, 12], 'site-a');
    expect(summary).toEqual({ rowsInFile: 3, lesionsMatched: 2, rowsNotInArchive: 1, tagsWritten: 2, unknownTerms: ['nosuchterm'] });
    const tags = repository.replaceSourceTags.mock.calls[0][2];
    expect(tags).toEqual([
      { lesionId: 100, termId: idOf('liver'), confidence: 1, uncertain: false },
      { lesionId: 100, termId: idOf('lung'), confidence: 0.5, uncertain: true },
    ]);
  });
});
