import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { SliceEncodingDto } from '../common/slice-encoding.dto';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { toBoolean } from '../common/query-transforms';
import { LesionCriteriaDto, LesionFilterDto } from '../lesions/lesions.dto';

/**
 * One body for both kinds of query: JSON with `lesionId`, or multipart/form-data with a `file`
 * (the slice) and `box` (fields arrive as strings there, hence the transforms).
 */
export class SimilarSearchDto extends IntersectionType(LesionCriteriaDto, SliceEncodingDto) {
  @ApiPropertyOptional({ description: 'Query by an archived lesion' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  lesionId?: number;

  @ApiPropertyOptional({ description: 'With an uploaded slice: the lesion box "x1,y1,x2,y2" in pixels', example: '226,90,242,113' })
  @IsOptional()
  @Matches(/^\s*-?\d+(\.\d+)?(\s*,\s*-?\d+(\.\d+)?){3}\s*$/, { message: 'box must be "x1,y1,x2,y2" in pixels' })
  box?: string;

  @ApiPropertyOptional({ default: 10, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  k = 10;

  @ApiPropertyOptional({ default: true, description: 'Leave out lesions of the query lesion’s patient (priors are what follow-ups are for)' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  excludeSamePatient = true;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  excludeSameStudy = false;

  @ApiPropertyOptional({ description: 'Drop hits below this cosine similarity', minimum: -1, maximum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(-1)
  @Max(1)
  minSimilarity?: number;

  @ApiPropertyOptional({ description: 'Only lesions matching this tag query (same language as GET /lesions?q=)', example: 'liver AND NOT cyst' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  tags?: string;

  @ApiPropertyOptional({ default: 0, description: 'Re-ranking: penalty per unit of normalised body-location distance (0 = off)' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(10)
  locationWeight = 0;

  @ApiPropertyOptional({ default: 0, description: 'Re-ranking: penalty per unit of |ln(size ratio)| of the long axes (0 = off)' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(10)
  sizeWeight = 0;
}

/** POST /search/tags: a tag query (required) with every structured filter of the lesion list. */
export class TagSearchDto extends LesionFilterDto {
  @ApiProperty({ description: 'Tag query: terms with AND, OR, NOT and parentheses, or free text', example: 'hypodense liver lesion not cyst' })
  @IsString()
  @MaxLength(1000)
  declare q: string;
}
