import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, IsUUID, Length } from 'class-validator';
import { OptionalNotNull } from '../common/bounded-input';
import { PageDto } from '../common/page.dto';
import { Role, ROLES } from './auth.entities';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'reporting-system' })
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;
}

export class AuditQueryDto extends PageDto {
  @ApiPropertyOptional()
  @OptionalNotNull()
  @IsUUID()
  apiKeyId?: string;
}
