import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsNumber, Matches, Max, MaxLength, Min } from 'class-validator';
import { OptionalNotNull } from './bounded-input';

/**
 * How to read an uploaded slice (similar-lesion search by upload, detection, point to box): its
 * pixel spacing, the HU range of an 8-bit image, and its encoding. Multipart fields arrive as
 * strings, hence the transforms.
 */
export class SliceEncodingDto {
  @ApiPropertyOptional({ description: 'In-plane pixel spacing in mm (DICOM: read from the file)' })
  @OptionalNotNull()
  @Type(() => Number)
  @IsNumber()
  @Min(0.05)
  @Max(10)
  spacingMm?: number;

  @ApiPropertyOptional({ description: 'With an 8-bit upload: the HU range of its grey levels, "low,high" (DeepLesion key slices: -1024,3071)' })
  @OptionalNotNull()
  @MaxLength(100)
  @Matches(/^\s*-?\d{1,6}(\.\d{1,6})?\s*,\s*-?\d{1,6}(\.\d{1,6})?\s*$/, { message: 'huWindow must be "low,high"' })
  huWindow?: string;

  @ApiPropertyOptional({ enum: ['auto', 'png16', 'gray8', 'dicom'], default: 'auto' })
  @OptionalNotNull()
  @IsIn(['auto', 'png16', 'gray8', 'dicom'])
  encoding?: 'auto' | 'png16' | 'gray8' | 'dicom';
}
