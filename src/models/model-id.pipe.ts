import { BadRequestException, PipeTransform } from '@nestjs/common';

/** A model id as stored: sha256 hex (see modelIdentity). */
export class ModelIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) throw new BadRequestException('model id must be 64 lowercase hex digits');
    return value;
  }
}
