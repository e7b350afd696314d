import { Body, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces } from '@nestjs/swagger';
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { AuthenticatedKey, CurrentKey, KeyScope, KeyedController, RequireRole } from '../auth/auth.decorators';
import { DatasetScope } from '../common/dataset-scope';
import { CohortExportDto, CohortPageDto, CreateCohortDto, PreviewCohortDto, UpdateCohortDto } from './cohorts.dto';
import { CohortsService } from './cohorts.service';
import { ParseIdPipe } from '../common/parse-id.pipe';

@KeyedController('cohorts', 'cohorts')
export class CohortsController {
  constructor(private readonly cohorts: CohortsService) {}

  @Post('preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'Counts of a cohort definition without saving it (for a builder that updates as filters change)' })
  preview(@Body() body: PreviewCohortDto, @KeyScope() scope: DatasetScope) {
    return this.cohorts.preview(body.definition, scope);
  }

  @Post()
  @RequireRole('curator')
  @ApiOperation({ summary: 'Save a named cohort definition (version 1): filters, a tag query, similar to a lesion above a similarity' })
  create(@Body() body: CreateCohortDto, @KeyScope() scope: DatasetScope, @CurrentKey() key?: AuthenticatedKey) {
    return this.cohorts.create(body, key?.name ?? null, scope);
  }

  @Get()
  @ApiOperation({ summary: 'Saved cohorts with their latest version' })
  list(@KeyScope() scope: DatasetScope) {
    return this.cohorts.list(scope);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Re-run a saved cohort (latest or ?version=): counts, members (paginated), whether it still selects the same lesions' })
  get(@Param('id', ParseIdPipe) id: number, @Query() query: CohortPageDto, @KeyScope() scope: DatasetScope) {
    return this.cohorts.get(id, query, scope);
  }

  @Put(':id')
  @RequireRole('curator')
  @ApiOperation({ summary: 'Change a cohort’s definition: saved as a new version, earlier versions unchanged' })
  update(@Param('id', ParseIdPipe) id: number, @Body() body: UpdateCohortDto, @KeyScope() scope: DatasetScope, @CurrentKey() key?: AuthenticatedKey) {
    return this.cohorts.update(id, body, key?.name ?? null, scope);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('curator')
  @ApiOperation({ summary: 'Delete a cohort and all its versions' })
  delete(@Param('id', ParseIdPipe) id: number, @KeyScope() scope: DatasetScope) {
    return this.cohorts.delete(id, scope);
  }

  @Get(':id/export')
  @ApiProduces('text/csv', 'application/json')
  @ApiOperation({ summary: 'Stream every member with metadata and tags as CSV or JSON (constant memory, any size)' })
  async export(
    @Param('id', ParseIdPipe) id: number,
    @Query() query: CohortExportDto,
    @KeyScope() scope: DatasetScope,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // A missing cohort or version is a 404 here, before any header goes out.
    const name = await this.cohorts.exportName(id, query.version, scope);
    const body = new PassThrough();
    const write = (chunk: string) =>
      new Promise<void>((resolve, reject) => {
        if (body.destroyed) return reject(new Error('client went away'));
        // Wait for the socket to drain: the database cursor only advances as fast as the client reads.
        if (body.write(chunk)) return resolve();
        const drained = () => {
          body.off('close', gone);
          resolve();
        };
        const gone = () => {
          body.off('drain', drained);
          reject(new Error('client went away'));
        };
        body.once('drain', drained);
        body.once('close', gone);
      });
    void reply
      .status(200)
      .header('Content-Type', query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="${name}.${query.format}"`)
      .send(body);
    // Fastify destroys the body when the client goes away, which stops the export at its next write.
    // A failure after the headers went out can only cut the stream, so the client sees it incomplete.
    await this.cohorts.export(id, query.format, query.version, write, scope).then(
      () => body.end(),
      (error: Error) => body.destroy(error),
    );
  }
}
