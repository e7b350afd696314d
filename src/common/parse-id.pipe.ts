import { ArgumentMetadata, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { INT4_MAX } from './bounded-input';

/**
 * A row id from the path: digits only, 1..2147483647 (the `int` columns' range). Nest's
 * ParseIntPipe took 99999999999 and PostgreSQL answered it with a 500.
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string, metadata: ArgumentMetadata): number {
    const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!(n >= 1 && n <= INT4_MAX)) throw new BadRequestException(`${metadata.data ?? 'id'} must be an integer from 1 to ${INT4_MAX}`);
    return n;
  }
}
