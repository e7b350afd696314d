import { ForbiddenException } from '@nestjs/common';
import { ALL_DATASETS, scopeOf } from '../common/dataset-scope';
import { SimilarSearchDto, toSimilarQuery } from './search.dto';

describe('toSimilarQuery', () => {
  const dto = (fields: Partial<SimilarSearchDto>) => Object.assign(new SimilarSearchDto(), fields);

  it('maps the request to a domain query: criteria in storage terms, the read options apart', () => {
    const query = toSimilarQuery(
      dto({ box: '1,2,3,4', spacingMm: 0.7, huWindow: '-1024,3071', encoding: 'gray8', split: ['test'], coarseType: [4], k: 5 }),
      ALL_DATASETS,
    );
    expect(query).toMatchObject({ box: '1,2,3,4', spacingMm: 0.7, read: { huWindow: '-1024,3071', encoding: 'gray8' }, k: 5, excludeSamePatient: true });
    expect(query.criteria).toMatchObject({ splits: [3], coarseTypes: [4] });
  });

  it('refuses a dataset outside the key (403) and an inverted range (400)', () => {
    expect(() => toSimilarQuery(dto({ lesionId: 1, dataset: ['other'] }), scopeOf(['mine']))).toThrow(ForbiddenException);
    expect(() => toSimilarQuery(dto({ lesionId: 1, ageMin: 60, ageMax: 40 }), ALL_DATASETS)).toThrow(/age/i);
  });
});
