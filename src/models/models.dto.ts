import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';

export class RegisterModelDto {
  /** Checked as a plain folder name by the service (400 with a clear message), so every caller gets the same check. */
  @ApiProperty({ example: 'projection-lda', description: 'A model folder directly under MODELS_DIR (manifest.json + ONNX file)' })
  @IsString()
  @MaxLength(128)
  name: string;

  @ApiPropertyOptional({ default: true, description: 'Switch to the model once every lesion is embedded with it and its index is built' })
  @IsOptional()
  @IsBoolean()
  activate?: boolean;
}
