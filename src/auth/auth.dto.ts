import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, IsUUID, Length, Matches } from 'class-validator';
import { DATASET_NAME, DATASET_NAME_MESSAGE, MAX_DATASETS } from '../common/dataset-scope';
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

  @ApiPropertyOptional({
    description: `Limit the key to these datasets (sites), at most ${MAX_DATASETS}; leave out for every dataset`,
    example: ['deeplesion'],
    type: [String],
  })
  @OptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_DATASETS)
  @IsString({ each: true })
  @Matches(DATASET_NAME, { each: true, message: DATASET_NAME_MESSAGE })
  datasets?: string[];
}

export class AuditQueryDto extends PageDto {
  @ApiPropertyOptional()
  @OptionalNotNull()
  @IsUUID()
  apiKeyId?: string;
}
