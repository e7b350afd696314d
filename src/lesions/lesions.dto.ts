import { BadRequestException } from '@nestjs/common';
import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsBoolean, IsIn, IsInt, IsString, Matches, MaxLength } from 'class-validator';
import { DatasetFilter } from '../common/dataset-filter';
import { BoundedInt, BoundedNumber, OptionalNotNull } from '../common/bounded-input';
import { PageDto } from '../common/page.dto';
import { toBoolean, toList } from '../common/query-transforms';

export const SPLITS = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

/** Largest long-axis diameter a filter takes: a metre, beyond any lesion. */
export const MAX_DIAMETER_MM = 1000;

/** The structured criteria shared by the lesion list, similar-lesion search and cohorts. */
export class LesionCriteriaDto {
  @ApiPropertyOptional({
    description: 'Coarse types (1 bone, 2 abdomen, 3 mediastinum, 4 liver, 5 lung, 6 kidney, 7 soft tissue, 8 pelvis, -1 unlabelled); comma list',
    example: '4,5',
  })
  @OptionalNotNull()
  @Transform(({ value }) => toList({ value })?.map(Number))
  @ArrayMaxSize(20)
  @IsInt({ each: true })
  @IsIn([-1, 1, 2, 3, 4, 5, 6, 7, 8], { each: true, message: 'coarseType must be -1 or 1..8' })
  coarseType?: number[];

  @ApiPropertyOptional({ enum: ['M', 'F'] })
  @OptionalNotNull()
  @IsIn(['M', 'F'])
  sex?: 'M' | 'F';

  @ApiPropertyOptional({ description: 'Minimum age in years (at the study)' })
  @OptionalNotNull()
  @BoundedNumber(0, 150)
  ageMin?: number;

  @ApiPropertyOptional()
  @OptionalNotNull()
  @BoundedNumber(0, 150)
  ageMax?: number;

  @ApiPropertyOptional({ description: 'Minimum long-axis diameter in mm', maximum: MAX_DIAMETER_MM })
  @OptionalNotNull()
  @BoundedNumber(0, MAX_DIAMETER_MM)
  diameterMinMm?: number;

  @ApiPropertyOptional({ maximum: MAX_DIAMETER_MM })
  @OptionalNotNull()
  @BoundedNumber(0, MAX_DIAMETER_MM)
  diameterMaxMm?: number;

  @ApiPropertyOptional({ description: 'train, val, test; comma list', example: 'test' })
  @OptionalNotNull()
  @Transform(toList)
  @ArrayMaxSize(10)
  @IsIn(SPLITS, { each: true })
  split?: SplitName[];

  @DatasetFilter()
  dataset?: string[];
}

/** Rejects inverted ranges, which validators on single fields cannot see. */
export function checkCriteriaRanges(c: LesionCriteriaDto): void {
  if (c.ageMin !== undefined && c.ageMax !== undefined && c.ageMin > c.ageMax) throw new BadRequestException('ageMin must not exceed ageMax');
  if (c.diameterMinMm !== undefined && c.diameterMaxMm !== undefined && c.diameterMinMm > c.diameterMaxMm) {
    throw new BadRequestException('diameterMinMm must not exceed diameterMaxMm');
  }
}

export class LesionFilterDto extends IntersectionType(PageDto, LesionCriteriaDto) {
  @ApiPropertyOptional({ description: 'Possibly noisy annotation (DeepLesion flag)' })
  @OptionalNotNull()
  @Transform(toBoolean)
  @IsBoolean()
  noisy?: boolean;

  @ApiPropertyOptional({ description: 'Pseudonymous patient index' })
  @OptionalNotNull()
  @BoundedInt(0)
  patient?: number;

  @ApiPropertyOptional({ description: 'Study index within the patient' })
  @OptionalNotNull()
  @BoundedInt(0)
  study?: number;

  @ApiPropertyOptional({
    description: 'Tag query: terms with AND, OR, NOT and parentheses, or free text ("hypodense liver lesion not cyst"); results are ordered by tag confidence',
    example: 'liver AND NOT cyst',
  })
  @OptionalNotNull()
  @IsString()
  @MaxLength(1000)
  q?: string;
}

export class PatchQueryDto {
  @ApiPropertyOptional({ description: 'soft, lung, bone, liver, brain, or "low,high" in HU', default: 'soft' })
  @OptionalNotNull()
  @Matches(/^(soft|lung|bone|liver|brain|-?\d{1,5}(\.\d+)?,-?\d{1,5}(\.\d+)?)$/, {
    message: 'window must be soft, lung, bone, liver, brain or "low,high" in HU',
  })
  window = 'soft';

  @ApiPropertyOptional({ default: true, description: 'Draw the lesion box' })
  @OptionalNotNull()
  @Transform(toBoolean)
  @IsBoolean()
  box = true;

  @ApiPropertyOptional({ default: 128, minimum: 32, maximum: 512 })
  @OptionalNotNull()
  @BoundedInt(32, 512)
  size = 128;

  @ApiPropertyOptional({ default: 120, description: 'Context square side in mm (when the spacing is known)' })
  @OptionalNotNull()
  @BoundedNumber(10, 500)
  contextMm = 120;
}
