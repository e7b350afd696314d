import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches, MaxLength } from 'class-validator';
import { BoundedInt, OptionalNotNull } from '../common/bounded-input';
import { TERM_CLASSES, TermClass } from './vocabulary/vocabulary';
import { IMPORT_MODES, ImportMode } from './vocabulary/ontology';

export class AddTagDto {
  @ApiProperty({ description: 'A term of the vocabulary, by name or synonym', example: 'hypoattenuation' })
  @IsString()
  @Length(1, 200)
  term: string;
}

export class LesionReportDto {
  @ApiProperty({ description: 'The report sentence(s) about this lesion', example: 'Hypodense liver lesion, possibly a cyst; no calcification.' })
  @IsString()
  @Length(1, 10_000)
  text: string;
}

export class SuggestQueryDto {
  @ApiProperty({ description: 'What the user has typed so far', example: 'hypo' })
  @IsString()
  @Length(1, 100)
  prefix: string;

  @ApiPropertyOptional({ default: 10, maximum: 50 })
  @OptionalNotNull()
  @BoundedInt(1, 50)
  limit = 10;
}

export class TermListQueryDto {
  @ApiPropertyOptional({ enum: TERM_CLASSES })
  @OptionalNotNull()
  @IsIn(TERM_CLASSES)
  class?: TermClass;
}

export class ImportOntologyDto {
  @ApiPropertyOptional({ description: 'Name recorded as the origin of new terms', default: 'lesanet' })
  @OptionalNotNull()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'origin must be a short lower-case name' })
  origin?: string;

  @ApiPropertyOptional({
    enum: IMPORT_MODES,
    default: 'merge',
    description: 'merge: keep stored terms, the imported term wins every name or synonym both claim; replace: keep only the imported terms',
  })
  @OptionalNotNull()
  @IsIn(IMPORT_MODES)
  mode?: ImportMode;
}

export class ImportLabelsDto {
  @ApiPropertyOptional({ description: 'Only lesions of this dataset (the rows index its DL_info.csv)', example: 'deeplesion' })
  @OptionalNotNull()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/)
  dataset?: string;
}

export class TagQueryTextDto {
  @ApiProperty({ description: 'Tag query: terms with AND, OR, NOT, parentheses, or free text', example: 'hypodense liver lesion not cyst' })
  @IsString()
  @MaxLength(1000)
  q: string;
}
