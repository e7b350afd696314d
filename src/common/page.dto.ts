import { ApiPropertyOptional } from '@nestjs/swagger';
import { BoundedInt, MAX_OFFSET, OptionalNotNull } from './bounded-input';

/** offset/limit pagination shared by every list endpoint. */
export class PageDto {
  @ApiPropertyOptional({ default: 0, maximum: MAX_OFFSET })
  @OptionalNotNull()
  @BoundedInt(0, MAX_OFFSET)
  offset = 0;

  @ApiPropertyOptional({ default: 50, maximum: 500 })
  @OptionalNotNull()
  @BoundedInt(1, 500)
  limit = 50;
}
