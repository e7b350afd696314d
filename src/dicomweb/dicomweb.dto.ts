import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { SOURCE_NAME } from '../config/dicomweb-sources';
import { BoundedInt, OptionalNotNull } from '../common/bounded-input';
import { DICOM_UID, MAX_UID_LENGTH } from './dicom-uid';

/** Frames a reference may name (the service decodes single-frame slices; the bound keeps the number sane). */
export const MAX_FRAME = 10_000;

/** A DICOM UID field: a string of digits and dots, at most MAX_UID_LENGTH characters; one message names the field for both limits. */
function DicomUid(field: string): PropertyDecorator {
  const message = `${field} must be a DICOM UID (digits and dots, at most ${MAX_UID_LENGTH} characters)`;
  // Applied as a stack of @IsString @MaxLength @Matches is (bottom first), so a 400 lists its messages in the same order.
  return applyDecorators(Matches(DICOM_UID, { message }), MaxLength(MAX_UID_LENGTH, { message }), IsString());
}

/** A slice on a configured PACS, in place of an uploaded file: WADO-RS fetches it. */
export class DicomWebReferenceDto {
  @ApiProperty({ description: 'A source named in DICOMWEB_SOURCES', example: 'pacs' })
  @IsString()
  @MaxLength(64)
  @Matches(SOURCE_NAME, { message: 'dicomweb.source must be a configured source name' })
  source: string;

  @ApiProperty({ example: '1.2.826.0.1.3680043.8.498.1' })
  @DicomUid('studyInstanceUid')
  studyInstanceUid: string;

  @ApiProperty({ example: '1.2.826.0.1.3680043.8.498.2' })
  @DicomUid('seriesInstanceUid')
  seriesInstanceUid: string;

  @ApiProperty({ example: '1.2.826.0.1.3680043.8.498.3' })
  @DicomUid('sopInstanceUid')
  sopInstanceUid: string;

  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: MAX_FRAME, description: 'Frame number (1-based); single-frame instances have frame 1 only' })
  @OptionalNotNull()
  @BoundedInt(1, MAX_FRAME)
  frame = 1;
}
