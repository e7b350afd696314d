import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { BoundedInt, BoundedNumber, OptionalNotNull } from '../common/bounded-input';
import { SLICE_SPACING_MM } from '../common/slice-encoding.dto';
import { SliceUploadDto, toSliceRequest } from '../uploads/slice-request.dto';
import { DetectionJobOptions } from './detection-jobs';
import { DetectRequest } from './detection.service';

/** Scores are ≥ 0 (the manifest's scale); no detector scores beyond this. */
const MAX_SCORE = 1e6;

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
  @BoundedNumber(SLICE_SPACING_MM.min, SLICE_SPACING_MM.max)
  spacingMm?: number;

  @ApiPropertyOptional({ description: 'Distance between consecutive slice files in mm (for models that take neighbouring slices)', default: 1 })
  @OptionalNotNull()
  @BoundedNumber(0.1, 20)
  sliceIntervalMm?: number;

  @ApiPropertyOptional({ description: "Keep boxes scoring at least this (default: the manifest's threshold)" })
  @OptionalNotNull()
  @BoundedNumber(0, MAX_SCORE)
  scoreThreshold?: number;
}

/** Detection adds nothing per box unless `include` asks. */
export function toDetectRequest(dto: DetectDto): DetectRequest {
  return { ...toSliceRequest(dto, []), scoreThreshold: dto.scoreThreshold, maxDetections: dto.maxDetections };
}

/** The job's options as stored with it: only those given. */
export function toDetectionJobOptions(dto: StartDetectionJobDto): DetectionJobOptions {
  const options: DetectionJobOptions = {};
  if (dto.spacingMm !== undefined) options.spacingMm = dto.spacingMm;
  if (dto.sliceIntervalMm !== undefined) options.sliceIntervalMm = dto.sliceIntervalMm;
  if (dto.scoreThreshold !== undefined) options.scoreThreshold = dto.scoreThreshold;
  return options;
}
