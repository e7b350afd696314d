import { Get, Header, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiProduces } from '@nestjs/swagger';
import { LesionFilterDto, PatchQueryDto } from './lesions.dto';
import { LesionsService } from './lesions.service';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { KeyScope, KeyedController } from '../auth/auth.decorators';
import { DatasetScope } from '../common/dataset-scope';

@KeyedController('lesions')
export class LesionsController {
  constructor(private readonly lesions: LesionsService) {}

  @Get('lesions')
  @ApiOperation({ summary: 'List lesions with structured filters and pagination' })
  list(@Query() query: LesionFilterDto, @KeyScope() scope: DatasetScope) {
    return this.lesions.listLesions(query, scope);
  }

  @Get('lesions/:id')
  @ApiOperation({ summary: 'All metadata of one lesion' })
  get(@Param('id', ParseIdPipe) id: number, @KeyScope() scope: DatasetScope) {
    return this.lesions.getLesion(id, scope);
  }

  @Get('lesions/:id/patch.png')
  @ApiOperation({ summary: 'The lesion patch in a chosen window, with or without its box' })
  @ApiProduces('image/png')
  @Header('Content-Type', 'image/png')
  @Header('Cache-Control', 'private, max-age=3600')
  async patch(@Param('id', ParseIdPipe) id: number, @Query() query: PatchQueryDto, @KeyScope() scope: DatasetScope) {
    return new StreamableFile(await this.lesions.renderPatch(id, query, scope));
  }

  @Get('stats')
  @ApiOperation({ summary: 'Archive counts by coarse type, split and sex (over the datasets the key sees)' })
  stats(@KeyScope() scope: DatasetScope) {
    return this.lesions.stats(scope);
  }
}
