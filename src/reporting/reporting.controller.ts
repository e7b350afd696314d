import { Body, Get, Header, HttpCode, Param, Post, Res, StreamableFile, UploadedFiles } from '@nestjs/common';
import { ApiOperation, ApiProduces } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { KeyScope, KeyedController, RequireRole } from '../auth/auth.decorators';
import { DatasetScope } from '../common/dataset-scope';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { UploadRoute } from '../common/upload-route';
import { UploadedSlice } from '../uploads/slice-request';
import { toPointRequest } from '../uploads/slice-request.dto';
import { FromPointReportDto, StowReportDto } from './reporting.dto';
import { ReportingService } from './reporting.service';

const DICOM = 'application/dicom';
const FHIR_JSON = 'application/fhir+json';

@KeyedController('reporting')
export class ReportingController {
  constructor(private readonly reporting: ReportingService) {}

  @Get('lesions/:id/report.dcm')
  @ApiOperation({
    summary:
      'The lesion as a DICOM SR (Comprehensive SR, TID 1500 Measurement Report; IHE AI Results): axes in mm, region and RECIST lines on the referenced image, coded finding and site, tags, growth, similar cases',
  })
  @ApiProduces(DICOM)
  @Header('Content-Type', DICOM)
  async sr(@Param('id', ParseIdPipe) id: number, @KeyScope() scope: DatasetScope, @Res({ passthrough: true }) reply: FastifyReply) {
    const sr = await this.reporting.lesionSr(id, scope);
    reply.header('Content-Disposition', `attachment; filename="lesion-${id}-report.dcm"`);
    return new StreamableFile(Buffer.from(sr.bytes));
  }

  @Get('lesions/:id/report.fhir.json')
  @ApiOperation({
    summary:
      'The lesion as FHIR R4: a Bundle with a DiagnosticReport, its Observations (axes in UCUM mm, finding and body site, tags, growth, similar cases), the ImagingStudy and the pseudonymous Patient',
  })
  @ApiProduces(FHIR_JSON)
  async fhir(@Param('id', ParseIdPipe) id: number, @KeyScope() scope: DatasetScope, @Res({ passthrough: true }) reply: FastifyReply) {
    const bundle = await this.reporting.lesionFhir(id, scope);
    reply.header('Content-Type', FHIR_JSON);
    return bundle;
  }

  @Post('lesions/:id/report/stow')
  @HttpCode(200)
  @RequireRole('curator')
  @ApiOperation({ summary: "Curator: build the lesion's SR and store it on a configured DICOMweb source (STOW-RS)" })
  stow(@Param('id', ParseIdPipe) id: number, @Body() body: StowReportDto, @KeyScope() scope: DatasetScope) {
    return this.reporting.stowLesionSr(id, body.source, scope);
  }

  @UploadRoute(
    'detections/from-point/report',
    'Point-to-box on a slice given by dicomweb reference (JSON) or upload, answered as a report to file: format=dicom-sr (application/dicom, TID 1500 SR on the referenced image) or format=fhir (application/fhir+json Bundle)',
    [{ name: 'file', maxCount: 1 }],
  )
  @ApiProduces(DICOM, FHIR_JSON)
  async fromPoint(
    @Body() body: FromPointReportDto,
    @KeyScope() scope: DatasetScope,
    @UploadedFiles() files: UploadedSlice = {},
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const rendered = await this.reporting.fromPointReport(toPointRequest(body), body.format, files, scope);
    if (rendered.format === 'fhir') {
      reply.header('Content-Type', FHIR_JSON);
      return rendered.bundle;
    }
    reply.header('Content-Type', DICOM);
    reply.header('Content-Disposition', 'attachment; filename="point-to-box-report.dcm"');
    return new StreamableFile(Buffer.from(rendered.sr.bytes));
  }
}
