import { BadRequestException } from '@nestjs/common';
import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageDto } from '../common/page.dto';
import { toBoolean, toList } from '../common/query-transforms';

export const SPLITS = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

/** The structured criteria shared by the lesion list, similar-lesion search and cohorts. */
export class LesionCriteriaDto {
  @ApiPropertyOptional({ description: 'Coarse types (1 bone, 2 abdomen, 3 mediastinum, 4 liver, 5 lung, 6 kidney, 7 soft tissue, 8 pelvis, -1 unlabelled); comma list', example: '4,5' })
  @IsOptional()
  @Transform(({ value }) => toList({ value })?.map(Number))
  @IsInt({ each: true })
  @IsIn([-1, 1, 2, 3, 4, 5, 6, 7, 8], { each: true, message: 'coarseType must be -1 or 1..8' })
  coarseType?: number[];

  @ApiPropertyOptional({ enum: ['M', 'F'] })
  @IsOptional()
  @IsIn(['M', 'F'])
  sex?: 'M' | 'F';

  @ApiPropertyOptional({ description: 'Minimum age in years (at the study)' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(150)
  ageMin?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(150)
  ageMax?: number;

  @ApiPropertyOptional({ description: 'Minimum long-axis diameter in mm' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  diameterMinMm?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  diameterMaxMm?: number;

  @ApiPropertyOptional({ description: 'train, val, test; comma list', example: 'test' })
  @IsOptional()
  @Transform(toList)
  @IsIn(SPLITS, { each: true })
  split?: SplitName[];
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
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  noisy?: boolean;

  @ApiPropertyOptional({ description: 'Pseudonymous patient index' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  patient?: number;

  @ApiPropertyOptional({ description: 'Study index within the patient' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  study?: number;

  @ApiPropertyOptional({ description: 'Dataset namespace' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/)
  dataset?: string;

  @ApiPropertyOptional({ description: 'Tag query: terms with AND, OR, NOT and parentheses, or free text ("hypodense liver lesion not cyst"); results are ordered by tag confidence', example: 'liver AND NOT cyst' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  q?: string;
}

export class PatchQueryDto {
  @ApiPropertyOptional({ description: 'soft, lung, bone, liver, brain, or "low,high" in HU', default: 'soft' })
  @IsOptional()
  @Matches(/^(soft|lung|bone|liver|brain|-?\d{1,5}(\.\d+)?,-?\d{1,5}(\.\d+)?)$/, { message: 'window must be soft, lung, bone, liver, brain or "low,high" in HU' })
  window = 'soft';

  @ApiPropertyOptional({ default: true, description: 'Draw the lesion box' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  box = true;

  @ApiPropertyOptional({ default: 128, minimum: 32, maximum: 512 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(32)
  @Max(512)
  size = 128;

  @ApiPropertyOptional({ default: 120, description: 'Context square side in mm (when the spacing is known)' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(10)
  @Max(500)
  contextMm = 120;
}
