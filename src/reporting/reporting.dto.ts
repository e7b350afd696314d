import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { OptionalNotNull } from '../common/bounded-input';
import { SOURCE_NAME } from '../config/dicomweb-sources';
import { FromPointDto } from '../uploads/slice-request.dto';

export const REPORT_FORMATS = ['dicom-sr', 'fhir'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Point-to-box on a referenced (or uploaded) slice, answered as a report a reporting system can file. */
export class FromPointReportDto extends FromPointDto {
  @ApiPropertyOptional({
    enum: REPORT_FORMATS,
    default: 'dicom-sr',
    description: 'dicom-sr: application/dicom (TID 1500 Comprehensive SR); fhir: application/fhir+json (Bundle)',
  })
  @OptionalNotNull()
  @IsIn(REPORT_FORMATS, { message: 'format must be dicom-sr or fhir' })
  format: ReportFormat = 'dicom-sr';
}

export class StowReportDto {
  @ApiProperty({ description: 'A source named in DICOMWEB_SOURCES, to store the SR on (STOW-RS)', example: 'pacs' })
  @IsString()
  @MaxLength(64)
  @Matches(SOURCE_NAME, { message: 'source must be a configured DICOMweb source name' })
  source: string;
}
