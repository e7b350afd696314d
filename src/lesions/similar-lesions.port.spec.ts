import { ALL_DATASETS, scopeOf } from '../common/dataset-scope';
import { similarQuery } from './similar-lesions.port';

describe('similarQuery', () => {
  it("fills the API's defaults and limits the criteria to the scope's datasets", () => {
    expect(similarQuery({ lesionId: 7 }, scopeOf(['site-b', 'site-a']))).toEqual({
      lesionId: 7,
      k: 10,
      locationWeight: 0,
      sizeWeight: 0,
      read: {},
      criteria: { datasets: ['site-a', 'site-b'] },
      excludeSamePatient: true,
      excludeSameStudy: false,
    });
    expect(similarQuery({ k: 3, excludeSamePatient: false }, ALL_DATASETS)).toMatchObject({
      k: 3,
      excludeSamePatient: false,
      criteria: { datasets: undefined },
    });
  });
});
