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
}

/** The validated request criteria in storage terms (split names → codes); inverted ranges are a 400. */
export function criteriaFromDto(dto: LesionCriteriaDto): LesionCriteria {
  checkCriteriaRanges(dto);
  return {
    coarseTypes: dto.coarseType,
    sex: dto.sex,
    ageMin: dto.ageMin,
    ageMax: dto.ageMax,
    diameterMinMm: dto.diameterMinMm,
    diameterMaxMm: dto.diameterMaxMm,
    splits: dto.split?.map(splitCode),
  };
}
