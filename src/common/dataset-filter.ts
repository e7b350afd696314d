import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsString, Matches } from 'class-validator';
import { OptionalNotNull } from './bounded-input';
import { DATASET_NAME, DATASET_NAME_MESSAGE, MAX_DATASETS } from './dataset-scope';
import { toList } from './query-transforms';

/**
 * An optional `dataset` filter: one or several dataset names (comma list, repeated field, or JSON
 * array), each like the ingest's, at most MAX_DATASETS. One definition for every filter that takes it.
 */
export function DatasetFilter(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description: `Only lesions of these datasets (sites): comma list or array, at most ${MAX_DATASETS}; a key limited to some datasets may name only those (others: 403)`,
      type: [String],
      example: ['deeplesion'],
    }),
    OptionalNotNull(),
    Transform(toList),
    ArrayMaxSize(MAX_DATASETS),
    IsString({ each: true }),
    Matches(DATASET_NAME, { each: true, message: DATASET_NAME_MESSAGE }),
  );
}
