import { DatasetScope, effectiveDatasets } from '../common/dataset-scope';
import { splitCode } from './lesion.view';
import { checkCriteriaRanges, LesionCriteriaDto } from './lesions.dto';

/** Structured criteria on a lesion, as the list query, the vector index filter and cohorts apply them. */
export interface LesionCriteria {
  coarseTypes?: number[];
  sex?: 'M' | 'F';
  ageMin?: number;
  ageMax?: number;
  diameterMinMm?: number;
  diameterMaxMm?: number;
  /** 1 train, 2 validation, 3 test. */
  splits?: number[];
  /** Only lesions of these datasets (sites); undefined: every dataset. */
  datasets?: string[];
}

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
