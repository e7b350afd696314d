import { ForbiddenException } from '@nestjs/common';
import { ALL_DATASETS, scopeOf } from '../common/dataset-scope';
import { CohortDefinitionDto } from './cohorts.dto';
import { definitionInScope } from './cohorts.service';

describe('definitionInScope (what a key limited to datasets saves)', () => {
  const siteA = scopeOf(['site-a', 'site-b']);

  it('saves an unscoped key’s definition as given', () => {
    const definition = { tags: 'liver' } as CohortDefinitionDto;
    expect(definitionInScope(definition, ALL_DATASETS)).toBe(definition);
  });

  it('limits a definition without a dataset filter to the key’s datasets, keeping the other criteria', () => {
    const saved = definitionInScope({ tags: 'liver', criteria: { coarseType: [4] } } as CohortDefinitionDto, siteA);
    expect(saved).toEqual({ tags: 'liver', criteria: { coarseType: [4], dataset: ['site-a', 'site-b'] } });
  });

  it('keeps a narrower filter and refuses one outside the key’s datasets', () => {
    expect(definitionInScope({ criteria: { dataset: ['site-b'] } } as CohortDefinitionDto, siteA).criteria?.dataset).toEqual(['site-b']);
    expect(() => definitionInScope({ criteria: { dataset: ['site-c'] } } as CohortDefinitionDto, siteA)).toThrow(ForbiddenException);
  });
});
