import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsNumber, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { IngestFormat } from './ingest-job.entity';

export class HuWindowDto {
  @ApiProperty({ example: -1024 })
  @IsNumber()
  low: number;

  @ApiProperty({ example: 3071 })
  @IsNumber()
  high: number;
}

export class StartIngestDto {
  @ApiProperty({
    enum: ['deeplesion', 'keyslice8', 'samples'],
    description: 'deeplesion: DL_info.csv + Images_png (16-bit); keyslice8: DL_info.csv + a folder of 8-bit key slices named by File_name; samples: lesions.csv of a key-slice sample',
  })
  @IsIn(['deeplesion', 'keyslice8', 'samples'])
  format: IngestFormat;

  @ApiProperty({ description: 'CSV path on the server', example: '/data/deeplesion/DL_info.csv' })
  @IsString()
  @Length(1, 4096)
  csv: string;

  @ApiProperty({ description: 'Images folder on the server', example: '/data/deeplesion/Images_png' })
  @IsString()
  @Length(1, 4096)
  images: string;

  @ApiPropertyOptional({ default: 'deeplesion', description: 'Namespace for patient indexes' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'dataset must be 1-64 lowercase letters, digits, _ or -' })
  dataset?: string;

  @ApiPropertyOptional({ type: HuWindowDto, description: 'HU range of 8-bit images (default -1024..3071, DeepLesion key slices)' })
  @IsOptional()
  @ValidateNested()
  @Type(() => HuWindowDto)
  huWindow?: HuWindowDto;
}
