import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsString, Length, Matches, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { DICOM_UID, MAX_UID_LENGTH } from '../dicomweb/dicom-uid';
import { SOURCE_NAME } from '../config/dicomweb-sources';
import { BoundedNumber, OptionalNotNull } from '../common/bounded-input';
import { IngestFormat } from '../ingest-jobs/ingest-job.entity';
import { MAX_QUERY_STUDIES } from '../ingest-jobs/ingest.types';

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

const DICOM_DATE = /^(18[5-9]\d|19\d\d|2[01]\d\d|2200)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/;
/** A Patient ID as QIDO matches it: printable, no wildcards (a query names one patient). */
const QUERY_PATIENT_ID = /^[\x21-\x7e](?:[\x20-\x7e]{0,62}[\x21-\x7e])?$/;

function isDicom(format: string): boolean {
  return format === 'dicom' || format === 'dicomweb';
}

/** The QIDO-RS study search of a dicomweb import. */
export class DicomWebStudyQueryDto {
  @ApiPropertyOptional({ description: 'Patient ID on the source (exact; sent to the PACS only, never stored)' })
  @OptionalNotNull()
  @IsString()
  @Matches(QUERY_PATIENT_ID, { message: 'query.patientId must be 1-64 printable ASCII characters without * or ? and without leading or trailing spaces' })
  @Matches(/^[^*?\\]*$/, { message: 'query.patientId must be 1-64 printable ASCII characters without * or ? and without leading or trailing spaces' })
  patientId?: string;

  @ApiPropertyOptional({ example: '20190101', description: 'YYYYMMDD, inclusive' })
  @OptionalNotNull()
  @IsString()
  @Matches(DICOM_DATE, { message: 'query.studyDateFrom must be a date YYYYMMDD' })
  studyDateFrom?: string;

  @ApiPropertyOptional({ example: '20191231', description: 'YYYYMMDD, inclusive' })
  @OptionalNotNull()
  @IsString()
  @Matches(DICOM_DATE, { message: 'query.studyDateTo must be a date YYYYMMDD' })
  studyDateTo?: string;

  @ApiPropertyOptional({ example: 'CT' })
  @OptionalNotNull()
  @IsString()
  @Matches(/^[A-Z]{2,16}$/, { message: 'query.modality must be a modality code such as CT' })
  modality?: string;
}

export class StartIngestDto {
  @ApiProperty({
    enum: ['deeplesion', 'keyslice8', 'samples', 'dicom', 'dicomweb'],
    description:
      'deeplesion: DL_info.csv + Images_png (16-bit); keyslice8: DL_info.csv + a folder of 8-bit key slices named by File_name; samples: lesions.csv of a key-slice sample; dicom: a folder of DICOM files (dir, optional annotations CSV), de-identified on the way in; dicomweb: studies retrieved from a configured PACS (source + studyInstanceUid or query), imported as dicom is',
  })
  @IsIn(['deeplesion', 'keyslice8', 'samples', 'dicom', 'dicomweb'])
  format: IngestFormat;

  @ApiPropertyOptional({ description: 'CSV path on the server (not for dicom)', example: '/data/deeplesion/DL_info.csv' })
  @ValidateIf((o: StartIngestDto) => !isDicom(o.format))
  @IsString()
  @Length(1, 4096)
  csv?: string;

  @ApiPropertyOptional({ description: 'Images folder on the server (not for dicom)', example: '/data/deeplesion/Images_png' })
  @ValidateIf((o: StartIngestDto) => !isDicom(o.format))
  @IsString()
  @Length(1, 4096)
  images?: string;

  @ApiPropertyOptional({
    description: 'dicom: the folder of DICOM files on the server (any nesting, DICOMDIR or plain files)',
    example: '/data/archive/export-2024',
  })
  @ValidateIf((o: StartIngestDto) => o.format === 'dicom')
  @IsString()
  @Length(1, 4096)
  dir?: string;

  @ApiPropertyOptional({ description: 'dicom: a CSV of annotations (sop_instance_uid, x1,y1,x2,y2 or RECIST end points, optional type)' })
  @OptionalNotNull()
  @IsString()
  @Length(1, 4096)
  annotations?: string;

  @ApiPropertyOptional({ description: 'dicomweb: a source named in DICOMWEB_SOURCES', example: 'pacs' })
  @ValidateIf((o: StartIngestDto) => o.format === 'dicomweb')
  @IsString()
  @MaxLength(64)
  @Matches(SOURCE_NAME, { message: 'source must be a configured DICOMweb source name' })
  source?: string;

  @ApiPropertyOptional({ description: 'dicomweb: the study to import (or give query)', example: '1.2.826.0.1.3680043.8.498.1' })
  @ValidateIf((o: StartIngestDto) => o.format === 'dicomweb' && (o.studyInstanceUid !== undefined || o.query === undefined))
  @IsString({ message: 'studyInstanceUid or query is needed for a dicomweb import' })
  @MaxLength(MAX_UID_LENGTH, { message: `studyInstanceUid must be a DICOM UID (digits and dots, at most ${MAX_UID_LENGTH} characters)` })
  @Matches(DICOM_UID, { message: `studyInstanceUid must be a DICOM UID (digits and dots, at most ${MAX_UID_LENGTH} characters)` })
  studyInstanceUid?: string;

  @ApiPropertyOptional({
    type: () => DicomWebStudyQueryDto,
    description: `dicomweb: the studies a QIDO-RS search finds (at most ${MAX_QUERY_STUDIES}; more is refused)`,
  })
  @ValidateIf((o: StartIngestDto) => o.format === 'dicomweb' && o.query !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => DicomWebStudyQueryDto)
  query?: DicomWebStudyQueryDto;

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
