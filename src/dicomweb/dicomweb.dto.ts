import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { SOURCE_NAME } from '../config/dicomweb-sources';
import { BoundedInt, OptionalNotNull } from '../common/bounded-input';
import { DICOM_UID, MAX_UID_LENGTH } from './dicom-uid';

/** Frames a reference may name (the service decodes single-frame slices; the bound keeps the number sane). */
export const MAX_FRAME = 10_000;
const UID_MESSAGE = (field: string) => `${field} must be a DICOM UID (digits and dots, at most ${MAX_UID_LENGTH} characters)`;

/** A slice on a configured PACS, in place of an uploaded file: WADO-RS fetches it. */
export class DicomWebReferenceDto {
  @ApiProperty({ description: 'A source named in DICOMWEB_SOURCES', example: 'pacs' })
  @IsString()
  @MaxLength(64)
  @Matches(SOURCE_NAME, { message: 'dicomweb.source must be a configured source name' })
  source: string;

  @ApiProperty({ example: '1.2.826.0.1.3680043.8.498.1' })
  @IsString()
  @MaxLength(MAX_UID_LENGTH, { message: UID_MESSAGE('studyInstanceUid') })
  @Matches(DICOM_UID, { message: UID_MESSAGE('studyInstanceUid') })
  studyInstanceUid: string;

  @ApiProperty({ example: '1.2.826.0.1.3680043.8.498.2' })
  @IsString()
  @MaxLength(MAX_UID_LENGTH, { message: UID_MESSAGE('seriesInstanceUid') })
  @Matches(DICOM_UID, { message: UID_MESSAGE('seriesInstanceUid') })
  seriesInstanceUid: string;

  @ApiProperty({ example: '1.2.826.0.1.3680043.8.498.3' })
  @IsString()
  @MaxLength(MAX_UID_LENGTH, { message: UID_MESSAGE('sopInstanceUid') })
  @Matches(DICOM_UID, { message: UID_MESSAGE('sopInstanceUid') })
  sopInstanceUid: string;

  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: MAX_FRAME, description: 'Frame number (1-based); single-frame instances have frame 1 only' })
  @OptionalNotNull()
  @BoundedInt(1, MAX_FRAME)
  frame = 1;
}
