import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, Max, Min, ValidateBy, ValidateIf } from 'class-validator';

/**
 * Reusable bounds for DTO fields, so every number a request carries fits its column and meaning
 * before it reaches SQL: PostgreSQL answers an out-of-range `int` or `real` parameter with an error
 * (a 500), where the client deserves a 400 that says the range.
 */

/** Largest PostgreSQL `int` (int4): every id, index and version column here. */
export const INT4_MAX = 2_147_483_647;

/** Largest offset a list takes: beyond the row count of any table, and still an int4. */
export const MAX_OFFSET = INT4_MAX;

/**
 * Non-zero magnitudes below this are refused. PostgreSQL's `real` cannot hold them (1e-320 is "out
 * of range for type real"), and no age, size, weight or score means anything there; 0 itself is fine.
 */
export const MIN_NONZERO_MAGNITUDE = 1e-30;

/**
 * Optional, but not null: an absent field is skipped, `null` is validated like any other value and
 * so refused ("must not be null"). class-validator's IsOptional lets null through to the services,
 * where `limit: null` meant no limit and `tags: null` a 500.
 */
export function OptionalNotNull(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_object, value) => value !== undefined),
    ValidateBy({
      name: 'isNotNull',
      validator: { validate: (value) => value !== null, defaultMessage: (args) => `${args?.property} must not be null (leave it out instead)` },
    }),
  );
}

/** An integer in [min, max] (default max: int4), from JSON or from a query/form string. */
export function BoundedInt(min: number, max: number = INT4_MAX): PropertyDecorator {
  return applyDecorators(
    Type(() => Number),
    IsInt(),
    Min(min),
    Max(max),
  );
}

/** A row id: 1..int4 max. */
export const IdInt = (): PropertyDecorator => BoundedInt(1, INT4_MAX);

/** A finite number in [min, max], 0 or at least MIN_NONZERO_MAGNITUDE in magnitude. */
export function BoundedNumber(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    Type(() => Number),
    IsNumber({ allowNaN: false, allowInfinity: false }),
    Min(min),
    Max(max),
    NotTiny(),
  );
}

/** True for 0 and for magnitudes a `real` column holds; false for subnormal-sized values like 1e-320. */
export function isStorableMagnitude(value: number): boolean {
  return value === 0 || Math.abs(value) >= MIN_NONZERO_MAGNITUDE;
}

function NotTiny(): PropertyDecorator {
  return ValidateBy({
    name: 'notTiny',
    validator: {
      validate: (value) => typeof value !== 'number' || Number.isNaN(value) || isStorableMagnitude(value),
      defaultMessage: (args) => `${args?.property} must be 0 or at least ${MIN_NONZERO_MAGNITUDE} in magnitude`,
    },
  });
}
