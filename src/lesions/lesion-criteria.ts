import { DatasetScope, effectiveDatasets } from '../common/dataset-scope';
import { LesionCriteria } from '../vector-index/lesion-meta';
import { splitCode } from './lesion.view';
import { checkCriteriaRanges, LesionCriteriaDto } from './lesions.dto';

// The type is the index's (it filters on it); lesions builds it from requests, so its callers find it here too.
export type { LesionCriteria };

/**
 * The validated request criteria in storage terms (split names → codes), intersected with the
 * caller's datasets: a `dataset` filter outside them is a 403; without one, the scope's datasets
 * apply. Inverted ranges are a 400.
 */
export function criteriaFromDto(dto: LesionCriteriaDto, scope: DatasetScope): LesionCriteria {
  checkCriteriaRanges(dto);
  return {
    coarseTypes: dto.coarseType,
    sex: dto.sex,
    ageMin: dto.ageMin,
    ageMax: dto.ageMax,
    diameterMinMm: dto.diameterMinMm,
    diameterMaxMm: dto.diameterMaxMm,
    splits: dto.split?.map(splitCode),
    datasets: effectiveDatasets(scope, dto.dataset),
  };
}
