import { Body, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiOperation } from '@nestjs/swagger';
import { KeyScope, KeyedController } from '../auth/auth.decorators';
import { DatasetScope, datasetForWrite } from '../common/dataset-scope';
import { StartIngestDto } from './ingest.dto';
import { IngestService } from './ingest.service';
import { DICOM_IMPORTER, DICOMWEB_IMPORTER, DicomImporter, DicomWebImporter } from '../ingest-jobs/ingest.types';

@KeyedController('admin', 'admin/ingest', 'admin')
export class IngestController {
  constructor(
    private readonly ingest: IngestService,
    private readonly moduleRef: ModuleRef,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Start (or resume) an import job from files on the server; poll its status (queued until a worker takes it when the service runs with REDIS_URL; 503 + Retry-After when the queue is full; a key limited to datasets imports only into them)',
  })
  async start(@Body() body: StartIngestDto, @KeyScope() scope: DatasetScope) {
    if (body.format === 'dicomweb') {
      const importer = this.moduleRef.get<DicomWebImporter>(DICOMWEB_IMPORTER, { strict: false });
      const { job } = await importer.submit({
        source: body.source!,
        studyInstanceUid: body.studyInstanceUid,
        query: body.query,
        dataset: datasetForWrite(scope, body.dataset, 'archive'),
      });
      return job;
    }
    if (body.format === 'dicom') {
      const importer = this.moduleRef.get<DicomImporter>(DICOM_IMPORTER, { strict: false });
      const { job } = await importer.submit({
        dir: body.dir!,
        annotations: body.annotations,
        dataset: datasetForWrite(scope, body.dataset, 'archive'),
        pathsFrom: 'api',
      });
      return job;
    }
    return this.ingest.submit({
      format: body.format,
      csvPath: body.csv!,
      imagesDir: body.images!,
      dataset: datasetForWrite(scope, body.dataset, 'deeplesion'),
      huWindow: body.huWindow,
      pathsFrom: 'api',
    });
  }

  @Get('jobs')
  @ApiOperation({ summary: 'Recent import jobs' })
  list(@KeyScope() scope: DatasetScope) {
    return this.ingest.listJobs(scope);
  }

  @Get('jobs/:id')
  @ApiOperation({ summary: 'Status of an import job: counts, rate, errors with line numbers, finished or not' })
  get(@Param('id', ParseUUIDPipe) id: string, @KeyScope() scope: DatasetScope) {
    return this.ingest.getJob(id, scope);
  }
}
