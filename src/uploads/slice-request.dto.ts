import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsObject, Matches, MaxLength, ValidateNested } from 'class-validator';
import { BoundedInt, BoundedNumber, OptionalNotNull } from '../common/bounded-input';
import { DatasetFilter } from '../common/dataset-filter';
import { SliceEncodingDto } from '../common/slice-encoding.dto';
import { DicomWebReferenceDto } from '../dicomweb/dicomweb.dto';
import { BOX_FINDINGS, BoxFinding, PointRequest, SliceRequest } from './slice-request';

const NUMBER_LIST = /^\s*-?\d{1,6}(\.\d{1,6})?(\s*,\s*-?\d{1,6}(\.\d{1,6})?)*\s*$/;
/** Largest pixel coordinate a click may have (image sides are at most this). */
const MAX_PIXEL = 65535;

const toIncludeList = ({ value }: { value: unknown }) =>
  (Array.isArray(value) ? value : String(value ?? '').split(',')).map((v) => String(v).trim()).filter(Boolean);

/** A slice uploaded as a file (read as SliceEncodingDto says) or, in JSON, named by DICOMweb reference. */
export class SliceSourceDto extends SliceEncodingDto {
  @ApiPropertyOptional({
    type: () => DicomWebReferenceDto,
    description: 'JSON only: the slice on a configured PACS (fetched by WADO-RS) in place of an uploaded file; spacing comes from its header',
  })
  @OptionalNotNull()
  @IsObject({ message: 'dicomweb must be an object {source, studyInstanceUid, seriesInstanceUid, sopInstanceUid, frame}' })
  @ValidateNested()
  @Type(() => DicomWebReferenceDto)
  dicomweb?: DicomWebReferenceDto;
}

/** Multipart fields shared by detection and point-to-box (the slice comes as the file `file`). */
export class SliceUploadDto extends SliceSourceDto {
  @ApiPropertyOptional({ description: 'With neighbouring slices (files "neighbours"): their offsets from the key slice in mm, in the same order, e.g. "-2,2"' })
  @OptionalNotNull()
  @MaxLength(1000)
  @Matches(NUMBER_LIST, { message: 'neighbourOffsetsMm must be a comma list of numbers' })
  neighbourOffsetsMm?: string;

  @ApiPropertyOptional({ description: 'Per box: "similar" (top-k similar archived lesions), "tags" (predicted tags); comma list', example: 'similar,tags' })
  @OptionalNotNull()
  @Transform(toIncludeList)
  @ArrayMaxSize(10)
  @IsIn(BOX_FINDINGS, { each: true, message: 'include takes similar and/or tags' })
  include?: BoxFinding[];

  @ApiPropertyOptional({ default: 5, minimum: 1, maximum: 50, description: 'Similar lesions per box' })
  @OptionalNotNull()
  @BoundedInt(1, 50)
  k = 5;

  /** With include=similar: only similar lesions of these datasets. */
  @DatasetFilter()
  dataset?: string[];
}

export class FromPointDto extends SliceUploadDto {
  @ApiProperty({ description: 'Column of the clicked point, in pixels of the slice' })
  @BoundedNumber(0, MAX_PIXEL)
  x: number;

  @ApiProperty({ description: 'Row of the clicked point, in pixels of the slice' })
  @BoundedNumber(0, MAX_PIXEL)
  y: number;
}

/** The request as a domain slice request; `include` defaults to `defaultInclude`. */
export function toSliceRequest(dto: SliceUploadDto, defaultInclude: readonly BoxFinding[]): SliceRequest {
  return {
    read: { encoding: dto.encoding, huWindow: dto.huWindow, spacingMm: dto.spacingMm },
    neighbourOffsetsMm: dto.neighbourOffsetsMm ? dto.neighbourOffsetsMm.split(',').map(Number) : [],
    dicomweb: dto.dicomweb,
    include: dto.include ?? [...defaultInclude],
    k: dto.k,
    dataset: dto.dataset,
  };
}

/** Point to box adds both findings unless `include` says otherwise. */
export function toPointRequest(dto: FromPointDto): PointRequest {
  return { ...toSliceRequest(dto, BOX_FINDINGS), x: dto.x, y: dto.y };
}
