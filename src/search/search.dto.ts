import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsDefined, IsString, MaxLength, ValidateIf } from 'class-validator';
import { BoundedInt, BoundedNumber, IdInt, OptionalNotNull } from '../common/bounded-input';
import { toBoolean } from '../common/query-transforms';
import { DatasetScope } from '../common/dataset-scope';
import { criteriaFromDto } from '../lesions/lesion-criteria';
import { SliceBox } from '../common/slice-encoding.dto';
import { LesionCriteriaDto, LesionFilterDto } from '../lesions/lesions.dto';
import { SliceSourceDto } from '../uploads/slice-request.dto';
import type { SimilarSearchQuery } from './search.service';

/** A re-ranking penalty weight: 0 (off) to 10. */
const RerankWeight = (description: string) => applyDecorators(ApiPropertyOptional({ default: 0, description }), OptionalNotNull(), BoundedNumber(0, 10));

/**
 * One body for both kinds of query: JSON with `lesionId`, or multipart/form-data with a `file`
 * (the slice) and `box` (fields arrive as strings there, hence the transforms).
 */
export class SimilarSearchDto extends IntersectionType(LesionCriteriaDto, SliceSourceDto) {
  @ApiPropertyOptional({ description: 'Query by an archived lesion' })
  @OptionalNotNull()
  @IdInt()
  lesionId?: number;

  @SliceBox('With an uploaded or referenced slice: the lesion box "x1,y1,x2,y2" in pixels')
  box?: string;

  @ApiPropertyOptional({ default: 10, minimum: 1, maximum: 200 })
  @OptionalNotNull()
  @BoundedInt(1, 200)
  k = 10;

  @ApiPropertyOptional({ default: true, description: 'Leave out lesions of the query lesion’s patient (priors are what follow-ups are for)' })
  @OptionalNotNull()
  @Transform(toBoolean)
  @IsBoolean()
  excludeSamePatient = true;

  @ApiPropertyOptional({ default: false })
  @OptionalNotNull()
  @Transform(toBoolean)
  @IsBoolean()
  excludeSameStudy = false;

  @ApiPropertyOptional({ description: 'Drop hits below this cosine similarity', minimum: -1, maximum: 1 })
  @OptionalNotNull()
  @BoundedNumber(-1, 1)
  minSimilarity?: number;

  @ApiPropertyOptional({ description: 'Only lesions matching this tag query (same language as GET /lesions?q=)', example: 'liver AND NOT cyst' })
  @OptionalNotNull()
  @IsString()
  @MaxLength(1000)
  tags?: string;

  @RerankWeight('Re-ranking: penalty per unit of normalised body-location distance (0 = off)')
  locationWeight = 0;

  @RerankWeight('Re-ranking: penalty per unit of |ln(size ratio)| of the long axes (0 = off)')
  sizeWeight = 0;
}

/** The request as a domain query: criteria in storage terms within the key's datasets (400 for inverted ranges, 403 outside them). */
export function toSimilarQuery(dto: SimilarSearchDto, scope: DatasetScope): SimilarSearchQuery {
  return {
    lesionId: dto.lesionId,
    dicomweb: dto.dicomweb,
    box: dto.box,
    spacingMm: dto.spacingMm,
    read: { encoding: dto.encoding, huWindow: dto.huWindow },
    criteria: criteriaFromDto(dto, scope),
    k: dto.k,
    excludeSamePatient: dto.excludeSamePatient,
    excludeSameStudy: dto.excludeSameStudy,
    minSimilarity: dto.minSimilarity,
    tags: dto.tags,
    locationWeight: dto.locationWeight,
    sizeWeight: dto.sizeWeight,
  };
}

/** POST /search/tags: a tag query (required) with every structured filter of the lesion list. */
export class TagSearchDto extends LesionFilterDto {
  @ApiProperty({ description: 'Tag query: terms with AND, OR, NOT and parentheses, or free text', example: 'hypodense liver lesion not cyst' })
  // Replaces the optional-q condition inherited from LesionFilterDto (class-validator keeps one per
  // kind), so a missing or null q is refused rather than listing every lesion or failing later.
  @ValidateIf(() => true)
  @IsDefined({ message: 'q is required (a tag query)' })
  @IsString()
  @MaxLength(1000)
  declare q: string;
}

export class RelevanceFeedbackDto {
  @ApiProperty({ description: 'The lesion the similar search was for' })
  @IsDefined()
  @IdInt()
  queryLesionId: number;

  @ApiProperty({ description: 'The hit being judged' })
  @IsDefined()
  @IdInt()
  hitLesionId: number;

  @ApiProperty({ description: 'Whether the hit is a relevant answer to the query' })
  @IsDefined()
  @IsBoolean()
  relevant: boolean;

  @ApiProperty({ description: "The hit's feedbackToken from the similar search that returned it" })
  @IsString()
  @MaxLength(100)
  token: string;
}
