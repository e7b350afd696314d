import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsDefined, IsIn, IsObject, IsString, Length, MaxLength, ValidateNested } from 'class-validator';
import { BoundedNumber, IdInt, OptionalNotNull } from '../common/bounded-input';
import { PageDto } from '../common/page.dto';
import { toBoolean } from '../common/query-transforms';
import { LesionCriteriaDto } from '../lesions/lesions.dto';
import { RECIST_CATEGORIES, RecistCategory } from '../growth/recist';

/** Structured criteria of a cohort: those of the lesion list. */
export class CohortCriteriaDto extends LesionCriteriaDto {
  @ApiPropertyOptional({ description: 'Possibly noisy annotation (DeepLesion flag)' })
  @OptionalNotNull()
  @Transform(toBoolean)
  @IsBoolean()
  noisy?: boolean;
}

export class SimilarToDto {
  @ApiProperty({ description: 'The reference lesion' })
  @IdInt()
  lesionId: number;

  @ApiProperty({ description: 'Cosine similarity of the embeddings at least this', minimum: -1, maximum: 1, example: 0.8 })
  @BoundedNumber(-1, 1)
  minSimilarity: number;

  @ApiPropertyOptional({ default: true, description: 'Leave out the reference lesion’s own patient' })
  @OptionalNotNull()
  @IsBoolean()
  excludeSamePatient = true;
}

export class CohortDefinitionDto {
  @ApiPropertyOptional({ type: CohortCriteriaDto })
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => CohortCriteriaDto)
  criteria?: CohortCriteriaDto;

  @ApiPropertyOptional({ description: 'Tag query (AND, OR, NOT, parentheses, free text)', example: 'lung nodule' })
  @OptionalNotNull()
  @IsString()
  @MaxLength(1000)
  tags?: string;

  @ApiPropertyOptional({ type: SimilarToDto, description: 'Only lesions similar to a lesion, above a similarity' })
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => SimilarToDto)
  similarTo?: SimilarToDto;

  @ApiPropertyOptional({
    enum: RECIST_CATEGORIES,
    isArray: true,
    description: 'Only the latest lesion of tracks whose RECIST 1.1 response there is one of these (e.g. ["PD"] with liver: progressive liver lesions)',
  })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(4)
  @IsIn(RECIST_CATEGORIES, { each: true })
  response?: RecistCategory[];
}

export class PreviewCohortDto {
  @ApiProperty({ type: CohortDefinitionDto })
  @IsDefined({ message: 'definition is required (it may be {} for every lesion)' })
  @IsObject()
  @ValidateNested()
  @Type(() => CohortDefinitionDto)
  definition: CohortDefinitionDto;
}

export class CreateCohortDto extends PreviewCohortDto {
  @ApiProperty({ example: 'Lung nodules 5-10 mm, over 60, test split' })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional()
  @OptionalNotNull()
  @IsString()
  @MaxLength(5000)
  description?: string;
}

export class UpdateCohortDto extends PreviewCohortDto {
  @ApiPropertyOptional()
  @OptionalNotNull()
  @IsString()
  @MaxLength(5000)
  description?: string;
}

/** Which saved version to use (default: the latest). */
export class CohortVersionDto {
  @ApiPropertyOptional({ description: 'A saved version (default: the latest)' })
  @OptionalNotNull()
  @IdInt()
  version?: number;
}

export class CohortPageDto extends IntersectionType(PageDto, CohortVersionDto) {}

export class CohortExportDto extends CohortVersionDto {
  @ApiPropertyOptional({ enum: ['csv', 'json'], default: 'csv' })
  @OptionalNotNull()
  @IsIn(['csv', 'json'])
  format: 'csv' | 'json' = 'csv';
}
