import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, Matches, MaxLength } from 'class-validator';
import { BoundedNumber, OptionalNotNull } from './bounded-input';

/** The in-plane pixel spacings a caller may give, in mm (CT: about 0.5 to 1). */
export const SLICE_SPACING_MM = { min: 0.05, max: 10 };

const PIXEL_BOX = /^\s*-?\d{1,6}(\.\d{1,6})?(\s*,\s*-?\d{1,6}(\.\d{1,6})?){3}\s*$/;

/** An optional lesion box on a slice, "x1,y1,x2,y2" in pixels: a string, as a multipart field arrives. */
export function SliceBox(description: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description, example: '226,90,242,113' }),
    OptionalNotNull(),
    MaxLength(100),
    Matches(PIXEL_BOX, { message: 'box must be "x1,y1,x2,y2" in pixels' }),
  );
}

/**
 * How to read an uploaded slice (similar-lesion search by upload, detection, point to box): its
 * pixel spacing, the HU range of an 8-bit image, and its encoding. Multipart fields arrive as
 * strings, hence the transforms.
 */
export class SliceEncodingDto {
  @ApiPropertyOptional({ description: 'In-plane pixel spacing in mm (DICOM: read from the file)' })
  @OptionalNotNull()
  @BoundedNumber(SLICE_SPACING_MM.min, SLICE_SPACING_MM.max)
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
