import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsObject, ValidateNested } from 'class-validator';
import { DicomWebReferenceDto } from '../dicomweb/dicomweb.dto';
import { ArrayMaxSize, IsIn, IsNumber, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { BoundedInt, BoundedNumber, OptionalNotNull } from '../common/bounded-input';
import { SliceEncodingDto } from '../common/slice-encoding.dto';
import { DatasetFilter } from '../common/dataset-filter';

const NUMBER_LIST = /^\s*-?\d{1,6}(\.\d{1,6})?(\s*,\s*-?\d{1,6}(\.\d{1,6})?)*\s*$/;
/** Largest pixel coordinate a click may have (image sides are at most this). */
const MAX_PIXEL = 65535;
/** Scores are ≥ 0 (the manifest's scale); no detector scores beyond this. */
const MAX_SCORE = 1e6;
export const INCLUDE_VALUES = ['similar', 'tags'] as const;
export type IncludeValue = (typeof INCLUDE_VALUES)[number];

const toIncludeList = ({ value }: { value: unknown }) =>
  (Array.isArray(value) ? value : String(value ?? '').split(',')).map((v) => String(v).trim()).filter(Boolean);

/** Multipart fields shared by detection and point-to-box (the slice comes as the file `file`). */
export class SliceUploadDto extends SliceEncodingDto {
  @ApiPropertyOptional({ description: 'With neighbouring slices (files "neighbours"): their offsets from the key slice in mm, in the same order, e.g. "-2,2"' })
  @OptionalNotNull()
  @MaxLength(1000)
  @Matches(NUMBER_LIST, { message: 'neighbourOffsetsMm must be a comma list of numbers' })
  neighbourOffsetsMm?: string;

  @ApiPropertyOptional({ description: 'Per box: "similar" (top-k similar archived lesions), "tags" (predicted tags); comma list', example: 'similar,tags' })
  @OptionalNotNull()
  @Transform(toIncludeList)
  @ArrayMaxSize(10)
  @IsIn(INCLUDE_VALUES, { each: true, message: 'include takes similar and/or tags' })
  include?: IncludeValue[];

  @ApiPropertyOptional({ default: 5, minimum: 1, maximum: 50, description: 'Similar lesions per box' })
  @OptionalNotNull()
  @BoundedInt(1, 50)
  k = 5;

  @ApiPropertyOptional({
    type: () => DicomWebReferenceDto,
    description: 'JSON only: the slice on a configured PACS (fetched by WADO-RS) in place of an uploaded file; spacing comes from its header',
  })
  @OptionalNotNull()
  @IsObject({ message: 'dicomweb must be an object {source, studyInstanceUid, seriesInstanceUid, sopInstanceUid, frame}' })
  @ValidateNested()
  @Type(() => DicomWebReferenceDto)
  dicomweb?: DicomWebReferenceDto;

  /** With include=similar: only similar lesions of these datasets. */
  @DatasetFilter()
  dataset?: string[];
}

export class DetectDto extends SliceUploadDto {
  @ApiPropertyOptional({ description: "Keep boxes scoring at least this (default: the detector manifest's threshold; 0 = all)" })
  @OptionalNotNull()
  @BoundedNumber(0, MAX_SCORE)
  scoreThreshold?: number;

  @ApiPropertyOptional({ description: 'At most this many boxes (capped by the manifest)', minimum: 1, maximum: 1000 })
  @OptionalNotNull()
  @BoundedInt(1, 1000)
  maxDetections?: number;
}

export class FromPointDto extends SliceUploadDto {
  @ApiProperty({ description: 'Column of the clicked point, in pixels of the slice' })
  @BoundedNumber(0, MAX_PIXEL)
  x: number;

  @ApiProperty({ description: 'Row of the clicked point, in pixels of the slice' })
  @BoundedNumber(0, MAX_PIXEL)
  y: number;
}

export class StartDetectionJobDto {
  @ApiProperty({
    description: `A DeepLesion series folder ({slice}.png, 16-bit) on the server, under DETECTION_SERIES_ROOT (absolute, or relative to it)`,
    example: 'Images_png/000001_01_01',
  })
  @IsString()
  @Length(1, 4096)
  series: string;

  @ApiPropertyOptional({ description: 'In-plane pixel spacing of the series in mm' })
  @OptionalNotNull()
  @Type(() => Number)
  @IsNumber()
  @Min(0.05)
  @Max(10)
  spacingMm?: number;

  @ApiPropertyOptional({ description: 'Distance between consecutive slice files in mm (for models that take neighbouring slices)', default: 1 })
  @OptionalNotNull()
  @Type(() => Number)
  @IsNumber()
  @Min(0.1)
  @Max(20)
  sliceIntervalMm?: number;

  @ApiPropertyOptional({ description: "Keep boxes scoring at least this (default: the manifest's threshold)" })
  @OptionalNotNull()
  @BoundedNumber(0, MAX_SCORE)
  scoreThreshold?: number;
}
