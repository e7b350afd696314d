import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, Matches, Max, Min } from 'class-validator';
import { BoundedInt, BoundedNumber, IdInt, OptionalNotNull } from '../common/bounded-input';
import { SliceBox, SliceEncodingDto } from '../common/slice-encoding.dto';

/** Longest horizon a prediction is made for: tracks in archives rarely span more than a few years. */
export const MAX_INTERVAL_DAYS = 1825;

/**
 * POST /growth/predict: an archived lesion (JSON `lesionId`), or an uploaded slice with its box
 * (multipart: `file`, `box`, fields as strings), and a future interval.
 */
export class PredictGrowthDto extends SliceEncodingDto {
  @ApiPropertyOptional({ description: 'Predict for an archived lesion' })
  @OptionalNotNull()
  @IdInt()
  lesionId?: number;

  @SliceBox('With an uploaded slice: the lesion box "x1,y1,x2,y2" in pixels')
  box?: string;

  @ApiProperty({ description: `Days from the lesion's (latest) measurement to predict for, 1..${MAX_INTERVAL_DAYS}`, example: 90 })
  @Type(() => Number)
  @IsInt({ message: 'intervalDays must be a whole number of days' })
  @Min(1, { message: 'intervalDays must be at least 1 (a prediction is for the future)' })
  @Max(MAX_INTERVAL_DAYS, { message: `intervalDays must be at most ${MAX_INTERVAL_DAYS} (5 years): beyond that no track in the archive says anything` })
  intervalDays: number;

  @ApiPropertyOptional({ description: 'With an upload: its current long axis in mm (otherwise estimated from the box and the pixel spacing)' })
  @OptionalNotNull()
  @BoundedNumber(0.5, 500)
  longAxisMm?: number;

  @ApiPropertyOptional({ description: 'With an upload: earlier long axes in mm, oldest first, "30,24" (they set the RECIST baseline and nadir)' })
  @OptionalNotNull()
  @Matches(/^\s*\d{1,3}(\.\d+)?(\s*,\s*\d{1,3}(\.\d+)?){0,19}\s*$/, {
    message: 'priorLongAxesMm must be up to 20 numbers "a,b,c" (mm, oldest first, each 0.5..500)',
  })
  priorLongAxesMm?: string;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100, description: 'Neighbour tracks to use' })
  @OptionalNotNull()
  @BoundedInt(1, 100)
  k = 20;
}

export const TRACK_ACTIONS = ['confirm', 'split', 'merge', 'unlink'] as const;

/** POST /growth/track-edits: a curator's decision on the track of a lesion. */
export class TrackEditDto {
  @ApiProperty({
    enum: TRACK_ACTIONS,
    description:
      'confirm: keep the track of lesionId as it is; split: cut it before lesionId; merge: join it with the track of withLesionId; unlink: take lesionId out of any track',
  })
  @IsIn(TRACK_ACTIONS)
  action: (typeof TRACK_ACTIONS)[number];

  @ApiProperty()
  @IdInt()
  lesionId: number;

  @ApiPropertyOptional({ description: 'merge: a lesion of the other track' })
  @OptionalNotNull()
  @IdInt()
  withLesionId?: number;
}

/** POST /growth/tracks/rebuild: rebuild the automatic tracks (curators' decisions are kept). */
export class RebuildTracksDto {
  @ApiPropertyOptional({ description: 'Only the patient of this lesion (default: every patient whose tracks are stale)' })
  @OptionalNotNull()
  @IdInt()
  lesionId?: number;
}
