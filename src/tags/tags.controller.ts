import { BadRequestException, Body, Delete, Get, HttpCode, Param, Post, Query, UploadedFile } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation } from '@nestjs/swagger';
import { AuthenticatedKey, CurrentKey, KeyScope, KeyedController, RequireRole } from '../auth/auth.decorators';
import { DatasetScope, datasetForWrite } from '../common/dataset-scope';
import { AcceptsUploads } from '../common/multipart-uploads';
import { AddTagDto, ImportLabelsDto, ImportOntologyDto, LesionReportDto, SuggestQueryDto, TermListQueryDto } from './tags.dto';
import { LesionTagsService } from './lesion-tags.service';
import { TagsAdminService } from './tags-admin.service';
import { VocabularyService } from './vocabulary.service';
import { ParseIdPipe } from '../common/parse-id.pipe';

const FILE_BODY = { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } };

@KeyedController('vocabulary', 'vocabulary')
export class VocabularyController {
  constructor(private readonly vocabulary: VocabularyService) {}

  @Get('terms')
  @ApiOperation({ summary: 'Every term of the vocabulary (optionally one class), with synonyms and parents' })
  list(@Query() query: TermListQueryDto) {
    return this.vocabulary.listTerms(query.class);
  }

  @Get('terms/:name')
  @ApiOperation({ summary: 'One term (by name or synonym): synonyms, parents, children, ancestors, descendants, exclusive terms' })
  get(@Param('name') name: string) {
    return this.vocabulary.getTerm(name);
  }

  @Get('suggest')
  @ApiOperation({ summary: 'Type-ahead: terms whose name or synonym starts with the prefix' })
  suggest(@Query() query: SuggestQueryDto) {
    return this.vocabulary.suggest(query.prefix, query.limit);
  }
}

@KeyedController('tags', 'lesions/:id')
export class LesionTagsController {
  constructor(private readonly tags: LesionTagsService) {}

  @Get('tags')
  @ApiOperation({ summary: 'Tags of a lesion, each with its sources and confidences, and the terms a curator removed' })
  list(@Param('id', ParseIdPipe) id: number, @KeyScope() scope: DatasetScope) {
    return this.tags.tagsOf(id, scope);
  }

  @Post('tags')
  @RequireRole('curator')
  @ApiOperation({ summary: 'Curator: add a term to the lesion (lifts an earlier removal of it)' })
  add(@Param('id', ParseIdPipe) id: number, @Body() body: AddTagDto, @KeyScope() scope: DatasetScope, @CurrentKey() key?: AuthenticatedKey) {
    return this.tags.addCuratorTag(id, body.term, key?.name ?? 'unknown', scope);
  }

  @Delete('tags/:term')
  @RequireRole('curator')
  @ApiOperation({ summary: 'Curator: remove a term from the lesion (every source; predictions will not bring it back)' })
  remove(@Param('id', ParseIdPipe) id: number, @Param('term') term: string, @KeyScope() scope: DatasetScope, @CurrentKey() key?: AuthenticatedKey) {
    return this.tags.removeTag(id, term, key?.name ?? 'unknown', scope);
  }

  @Post('report')
  @RequireRole('curator')
  @ApiOperation({ summary: 'Store the report text about this lesion and mine it for terms (negation and uncertainty aware)' })
  report(@Param('id', ParseIdPipe) id: number, @Body() body: LesionReportDto, @KeyScope() scope: DatasetScope) {
    return this.tags.mineLesionReport(id, body.text, scope);
  }
}

@KeyedController('admin', 'admin', 'admin')
export class TagsAdminController {
  constructor(private readonly admin: TagsAdminService) {}

  @Post('vocabulary/import')
  @AcceptsUploads({ name: 'file', maxCount: 1 })
  @ApiConsumes('multipart/form-data')
  @ApiBody(FILE_BODY)
  @ApiOperation({
    summary:
      'Merge an ontology spreadsheet in LesaNet’s layout (.xlsx) into the vocabulary (mode=merge: the imported term wins every conflict, each one reported) or replace it (mode=replace)',
  })
  importOntology(@Body() body: ImportOntologyDto, @UploadedFile() file?: { buffer: Buffer }) {
    if (!file) throw new BadRequestException('Send the spreadsheet as multipart field "file"');
    return this.admin.importOntology(file.buffer, body.origin ?? 'lesanet', body.mode ?? 'merge');
  }

  @Post('tags/import-labels')
  @AcceptsUploads({ name: 'file', maxCount: 1 })
  @ApiConsumes('multipart/form-data')
  @ApiBody(FILE_BODY)
  @ApiOperation({ summary: 'Import mined lesion labels in LesaNet’s JSON layout (rows of DL_info.csv)' })
  importLabels(@Body() body: ImportLabelsDto, @KeyScope() scope: DatasetScope, @UploadedFile() file?: { buffer: Buffer }) {
    if (!file) throw new BadRequestException('Send the JSON file as multipart field "file"');
    // A key limited to datasets labels only their lesions: it must name one of them (or have just one).
    return this.admin.importLabels(file.buffer, scope.datasets === null ? body.dataset : datasetForWrite(scope, body.dataset, ''));
  }

  @Post('tags/predict')
  @HttpCode(202)
  @ApiOperation({ summary: 'Recompute predicted tags now (runs in the background; poll GET)' })
  predict() {
    return this.admin.startPrediction();
  }

  @Get('tags/predict')
  @ApiOperation({ summary: 'Latest tag prediction run, and whether the model or labels changed since' })
  predictionStatus() {
    return this.admin.predictionStatus();
  }
}
