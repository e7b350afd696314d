import { Body, Get, HttpCode, Param, ParseUUIDPipe, Post, UploadedFiles } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { KeyScope, KeyedController, RequireRole } from '../auth/auth.decorators';
import { DatasetScope } from '../common/dataset-scope';
import { UPLOAD_OR_JSON, UploadRoute } from '../common/upload-route';
import { FromPointDto, toPointRequest } from '../uploads/slice-request.dto';
import { UploadedSlice } from '../uploads/slice-request';
import { DetectDto, StartDetectionJobDto, toDetectionJobOptions, toDetectRequest } from './detection.dto';
import { DetectionService } from './detection.service';
import { DetectionJobsService } from './detection-jobs.service';

const DETECT_SUMMARY =
  'Lesion boxes with scores on an uploaded slice, or (JSON) a slice on a configured PACS by dicomweb reference (file: DeepLesion 16-bit PNG, DICOM, or 8-bit PNG/JPEG with huWindow; optional neighbours + neighbourOffsetsMm, spacingMm); include=similar,tags adds per box the top-k similar archived lesions and predicted tags';
const FROM_POINT_SUMMARY =
  "The lesion's box from a point clicked inside it (x, y in slice pixels) on an uploaded slice or (JSON) a dicomweb reference, with its outline (contour polygon) and RECIST long and short axes (end points; mm with a spacing), then its similar lesions and tags (include, default similar,tags)";

/** A route taking the slice (and its neighbours) as uploads, or JSON with a dicomweb reference. */
const SliceRoute = (path: string, summary: string) =>
  UploadRoute(
    path,
    summary,
    [
      { name: 'file', maxCount: 1 },
      { name: 'neighbours', maxCount: 8 },
    ],
    UPLOAD_OR_JSON,
  );

@KeyedController('detection', 'detections')
export class DetectionController {
  constructor(
    private readonly detection: DetectionService,
    private readonly jobs: DetectionJobsService,
  ) {}

  @SliceRoute('', DETECT_SUMMARY)
  detect(@Body() body: DetectDto, @KeyScope() scope: DatasetScope, @UploadedFiles() files: UploadedSlice = {}) {
    return this.detection.detect(toDetectRequest(body), files, scope);
  }

  @SliceRoute('from-point', FROM_POINT_SUMMARY)
  fromPoint(@Body() body: FromPointDto, @KeyScope() scope: DatasetScope, @UploadedFiles() files: UploadedSlice = {}) {
    return this.detection.fromPoint(toPointRequest(body), files, scope);
  }

  @Post('jobs')
  @HttpCode(202)
  @RequireRole('curator')
  @ApiOperation({ summary: 'Detect on every slice of a DeepLesion series folder on the server (under DETECTION_SERIES_ROOT); poll the job' })
  startJob(@Body() body: StartDetectionJobDto) {
    return this.jobs.startJob(body.series, toDetectionJobOptions(body));
  }

  @Get('jobs/:id')
  @RequireRole('curator')
  @ApiOperation({ summary: 'Status of a detection job: progress (done/total slices), and the boxes per slice when finished' })
  getJob(@Param('id', ParseUUIDPipe) id: string) {
    return this.jobs.getJob(id);
  }
}
