import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthenticatedKey, CurrentKey, RequireRole } from '../auth/auth.decorators';
import { CohortExportDto, CohortPageDto, CreateCohortDto, PreviewCohortDto, UpdateCohortDto } from './cohorts.dto';
import { CohortsService } from './cohorts.service';

@ApiTags('cohorts')
@ApiBearerAuth()
@Controller('cohorts')
export class CohortsController {
  constructor(private readonly cohorts: CohortsService) {}

  @Post('preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'Counts of a cohort definition without saving it (for a builder that updates as filters change)' })
  preview(@Body() body: PreviewCohortDto) {
    return this.cohorts.preview(body.definition);
  }

  @Post()
  @RequireRole('curator')
  @ApiOperation({ summary: 'Save a named cohort definition (version 1): filters, a tag query, similar to a lesion above a similarity' })
  create(@Body() body: CreateCohortDto, @CurrentKey() key?: AuthenticatedKey) {
    return this.cohorts.create(body, key?.name ?? null);
  }

  @Get()
  @ApiOperation({ summary: 'Saved cohorts with their latest version' })
  list() {
    return this.cohorts.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'Re-run a saved cohort (latest or ?version=): counts, members (paginated), whether it still selects the same lesions' })
  get(@Param('id', ParseIntPipe) id: number, @Query() query: CohortPageDto) {
    return this.cohorts.get(id, query);
  }

  @Put(':id')
  @RequireRole('curator')
  @ApiOperation({ summary: 'Change a cohort’s definition: saved as a new version, earlier versions unchanged' })
  update(@Param('id', ParseIntPipe) id: number, @Body() body: UpdateCohortDto, @CurrentKey() key?: AuthenticatedKey) {
    return this.cohorts.update(id, body, key?.name ?? null);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('curator')
  @ApiOperation({ summary: 'Delete a cohort and all its versions' })
  delete(@Param('id', ParseIntPipe) id: number) {
    return this.cohorts.delete(id);
  }

  @Get(':id/export')
  @ApiProduces('text/csv', 'application/json')
  @ApiOperation({ summary: 'Stream every member with metadata and tags as CSV or JSON (constant memory, any size)' })
  async export(@Param('id', ParseIntPipe) id: number, @Query() query: CohortExportDto, @Res() res: Response): Promise<void> {
    const name = await this.cohorts.exportName(id, query.version);
    res.status(200);
    res.setHeader('Content-Type', query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${name}.${query.format}"`);
    let aborted = false;
    res.on('close', () => (aborted = !res.writableFinished));
    const write = (chunk: string) =>
      new Promise<void>((resolve, reject) => {
        if (aborted) return reject(new Error('client went away'));
        // Wait for the socket to drain: the database cursor only advances as fast as the client reads.
        if (res.write(chunk)) resolve();
        else res.once('drain', resolve);
      });
    try {
      await this.cohorts.export(id, query.format, query.version, write);
      res.end();
    } catch (error) {
      // Headers are gone: all that can be done is to cut the stream so the client sees it incomplete.
      if (!res.headersSent) throw error;
      res.destroy(error as Error);
    }
  }
}
