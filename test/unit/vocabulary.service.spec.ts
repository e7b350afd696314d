import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import { ChangeFeedService, ChangeHandler } from '../../src/change-log/change-feed.service';
import { LesionTagsRepository } from '../../src/tags/lesion-tags.repository';
import { VocabularyTerm } from '../../src/tags/vocabulary/vocabulary';
import { StoredVocabulary, VocabularyRepository } from '../../src/tags/vocabulary.repository';
import { VocabularyService } from '../../src/tags/vocabulary.service';
import { asDependency, mockMethods } from '../helpers/typed-mocks';

const term = (name: string, parents: string[] = [], synonyms: string[] = []): VocabularyTerm => ({
  name,
  termClass: 'bodypart',
  synonyms,
  parents,
  children: [],
  exclusive: [],
});

const stored = (terms: VocabularyTerm[], version: number): StoredVocabulary => ({ terms, idByName: new Map(terms.map((t, i) => [t.name, i + 1])), version });

function setup(initial: StoredVocabulary) {
  let current = initial;
  const repository = mockMethods<VocabularyRepository>()({
    load: async () => current,
    currentVersion: async () => current.version,
    save: async () => true,
  });
  const tags = mockMethods<LesionTagsRepository>()({ syncCoarseTypeTags: async () => 0 });
  let onChange: ChangeHandler | null = null;
  const changes = mockMethods<ChangeFeedService>()({ subscribe: (handler: ChangeHandler) => void (onChange = handler) });
  const service = new VocabularyService(
    asDependency<VocabularyRepository>(repository),
    asDependency<LesionTagsRepository>(tags),
    asDependency<ChangeFeedService>(changes),
  );
  return {
    service,
    repository,
    tags,
    replaceStored: (next: StoredVocabulary) => void (current = next),
    announce: (kind: 'vocabulary' | 'lesion') => onChange!([{ position: 1, kind, key: 0, modelId: null, createdAt: new Date() }]),
  };
}

describe('VocabularyService (typed repository mocks)', () => {
  it('seeds the default vocabulary into an empty database only', async () => {
    const empty = setup(stored([], 0));
    await empty.service.onApplicationBootstrap();
    expect(empty.repository.save).toHaveBeenCalledTimes(1);
    expect(empty.repository.save.mock.calls[0][1]).toBe('default');
    expect(empty.repository.save.mock.calls[0][0].some((t) => t.name === 'liver')).toBe(true);
    const seeded = setup(stored([term('liver')], 1));
    await seeded.service.onApplicationBootstrap();
    expect(seeded.repository.save).not.toHaveBeenCalled();
  });

  it('tags coarse types with the ids of their terms, found by name or by the synonym a folded term left', async () => {
    const { service, tags } = setup(stored([term('liver'), term('osseous structure', [], ['bone'])], 4));
    await service.syncCoarseTypeTags();
    // 4 = liver (id 1), 1 = bone, now a synonym of "osseous structure" (id 2); other types have no term here.
    expect(tags.syncCoarseTypeTags).toHaveBeenCalledWith(
      new Map([
        [1, 2],
        [4, 1],
      ]),
    );
  });

  it('reloads the snapshot when another process announces a vocabulary change, and not for other changes', async () => {
    const { service, repository, replaceStored, announce } = setup(stored([term('liver')], 1));
    expect((await service.current()).version).toBe(1);
    replaceStored(stored([term('liver'), term('lung')], 2));
    announce('lesion');
    expect((await service.current()).version).toBe(1);
    announce('vocabulary');
    expect((await service.current()).version).toBe(2);
    expect(repository.load).toHaveBeenCalledTimes(2);
  });

  it('refuses an empty ontology and one that breaks the hierarchy, storing nothing', async () => {
    const { service, repository } = setup(stored([term('liver')], 1));
    await expect(service.importOntology([], 'empty.xlsx')).rejects.toThrow(new BadRequestException('The ontology file holds no terms'));
    const cycle = [term('a', ['b']), term('b', ['a'])];
    await expect(service.importOntology(cycle, 'cycle.xlsx')).rejects.toThrow(/cannot be merged: \d+ problem/);
    expect(repository.save).not.toHaveBeenCalled();
  });

  it('merges an import, saves it with its origin, and counts added and updated terms', async () => {
    const { service, repository } = setup(stored([term('liver'), term('abdomen')], 1));
    const summary = await service.importOntology([term('liver', ['abdomen']), term('hepatic lesion', ['liver'])], 'lesanet.xlsx');
    expect(summary).toMatchObject({ origin: 'lesanet.xlsx', mode: 'merge', termsInFile: 2, added: 1, updated: 1, totalTerms: 3 });
    const [savedTerms, origin] = repository.save.mock.calls[0];
    expect(origin).toBe('lesanet.xlsx');
    expect(savedTerms.map((t) => t.name).sort()).toEqual(['abdomen', 'hepatic lesion', 'liver']);
    expect(savedTerms.find((t) => t.name === 'liver')!.parents).toEqual(['abdomen']);
  });

  it('merges again from the new state when another import saved in between, and gives up with a 409', async () => {
    const { service, repository, replaceStored } = setup(stored([term('liver')], 1));
    repository.save.mockImplementationOnce(async () => {
      replaceStored(stored([term('liver'), term('lung')], 2));
      return false;
    });
    await service.importOntology([term('kidney')], 'second.xlsx');
    expect(repository.save.mock.calls.map((c) => c[3])).toEqual([1, 2]);
    expect(repository.save.mock.calls[1][0].map((t) => t.name).sort()).toEqual(['kidney', 'liver', 'lung']);
    repository.save.mockResolvedValue(false);
    await expect(service.importOntology([term('kidney')], 'third.xlsx')).rejects.toThrow(ConflictException);
  });

  it('answers a 400 naming the format for a file that is not a spreadsheet', async () => {
    const { service, repository } = setup(stored([term('liver')], 1));
    await expect(service.importOntologyFile(Buffer.from('not a zip'), 'x.xlsx')).rejects.toThrow(/not a readable \.xlsx spreadsheet/);
    expect(repository.save).not.toHaveBeenCalled();
  });

  it('finds a term by synonym with its ancestors, and 404s an unknown one with its name', async () => {
    const { service } = setup(stored([term('abdomen'), term('liver', ['abdomen'], ['hepatic'])], 1));
    const liver = await service.getTerm('hepatic');
    expect(liver).toMatchObject({ name: 'liver', parents: ['abdomen'], ancestors: ['abdomen'] });
    await expect(service.getTerm('spleen')).rejects.toThrow(new NotFoundException('"spleen" is not a term of the vocabulary'));
  });

  it('lists terms sorted by name, filtered by class', async () => {
    const { service } = setup(stored([term('liver'), { ...term('cyst'), termClass: 'type' }, term('abdomen')], 1));
    expect((await service.listTerms()).map((t) => t.name)).toEqual(['abdomen', 'cyst', 'liver']);
    expect((await service.listTerms('type')).map((t) => t.name)).toEqual(['cyst']);
  });
});
