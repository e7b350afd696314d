import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsString, Length, Matches, ValidateIf, ValidateNested } from 'class-validator';
import { BoundedNumber, OptionalNotNull } from '../common/bounded-input';
import { IngestFormat } from './ingest-job.entity';

/** HU values a window may name: the range of a signed 16-bit CT value. */
const HU_MIN = -32768;
const HU_MAX = 32767;

export class HuWindowDto {
  @ApiProperty({ example: -1024, minimum: HU_MIN, maximum: HU_MAX })
  @BoundedNumber(HU_MIN, HU_MAX)
  low: number;

  @ApiProperty({ example: 3071, minimum: HU_MIN, maximum: HU_MAX })
  @BoundedNumber(HU_MIN, HU_MAX)
  high: number;
}

export class StartIngestDto {
  @ApiProperty({
    enum: ['deeplesion', 'keyslice8', 'samples', 'dicom'],
    description:
      'deeplesion: DL_info.csv + Images_png (16-bit); keyslice8: DL_info.csv + a folder of 8-bit key slices named by File_name; samples: lesions.csv of a key-slice sample; dicom: a folder of DICOM files (dir, optional annotations CSV), de-identified on the way in',
  })
  @IsIn(['deeplesion', 'keyslice8', 'samples', 'dicom'])
  format: IngestFormat;

  @ApiPropertyOptional({ description: 'CSV path on the server (not for dicom)', example: '/data/deeplesion/DL_info.csv' })
  @ValidateIf((o: StartIngestDto) => o.format !== 'dicom')
  @IsString()
  @Length(1, 4096)
  csv?: string;

  @ApiPropertyOptional({ description: 'Images folder on the server (not for dicom)', example: '/data/deeplesion/Images_png' })
  @ValidateIf((o: StartIngestDto) => o.format !== 'dicom')
  @IsString()
  @Length(1, 4096)
  images?: string;

  @ApiPropertyOptional({ description: 'dicom: the folder of DICOM files on the server (any nesting, DICOMDIR or plain files)', example: '/data/archive/export-2024' })
  @ValidateIf((o: StartIngestDto) => o.format === 'dicom')
  @IsString()
  @Length(1, 4096)
  dir?: string;

  @ApiPropertyOptional({ description: 'dicom: a CSV of annotations (sop_instance_uid, x1,y1,x2,y2 or RECIST end points, optional type)' })
  @OptionalNotNull()
  @IsString()
  @Length(1, 4096)
  annotations?: string;

  @ApiPropertyOptional({ default: 'deeplesion', description: 'Namespace for patient indexes' })
  @OptionalNotNull()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'dataset must be 1-64 lowercase letters, digits, _ or -' })
  dataset?: string;

  @ApiPropertyOptional({ type: HuWindowDto, description: 'HU range of 8-bit images (default -1024..3071, DeepLesion key slices)' })
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => HuWindowDto)
  huWindow?: HuWindowDto;
}
