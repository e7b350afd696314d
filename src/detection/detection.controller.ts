import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, UploadedFiles } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireRole, KeyScope } from '../auth/auth.decorators';
import { DatasetScope } from '../common/dataset-scope';
import { AcceptsUploads } from '../common/multipart-uploads';
import { DetectDto, FromPointDto, StartDetectionJobDto } from './detection.dto';
import { DetectionService, UploadedSlice } from './detection.service';
import { DetectionJobsService } from './detection-jobs.service';

const SLICE_FILES = AcceptsUploads({ name: 'file', maxCount: 1 }, { name: 'neighbours', maxCount: 8 });

@ApiTags('detection')
@ApiBearerAuth()
@Controller('detections')
export class DetectionController {
  constructor(
    private readonly detection: DetectionService,
    private readonly jobs: DetectionJobsService,
  ) {}

  @Post()
  @HttpCode(200)
  @SLICE_FILES
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiOperation({
    summary:
      'Lesion boxes with scores on an uploaded slice, or (JSON) a slice on a configured PACS by dicomweb reference (file: DeepLesion 16-bit PNG, DICOM, or 8-bit PNG/JPEG with huWindow; optional neighbours + neighbourOffsetsMm, spacingMm); include=similar,tags adds per box the top-k similar archived lesions and predicted tags',
  })
  detect(@Body() body: DetectDto, @KeyScope() scope: DatasetScope, @UploadedFiles() files: UploadedSlice = {}) {
    return this.detection.detect(body, files, scope);
  }

  @Post('from-point')
  @HttpCode(200)
  @SLICE_FILES
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiOperation({
    summary:
      "The lesion's box from a point clicked inside it (x, y in slice pixels) on an uploaded slice or (JSON) a dicomweb reference, with its outline (contour polygon) and RECIST long and short axes (end points; mm with a spacing), then its similar lesions and tags (include, default similar,tags)",
  })
  fromPoint(@Body() body: FromPointDto, @KeyScope() scope: DatasetScope, @UploadedFiles() files: UploadedSlice = {}) {
    return this.detection.fromPoint(body, files, scope);
  }

  @Post('jobs')
  @HttpCode(202)
  @RequireRole('curator')
  @ApiOperation({ summary: 'Detect on every slice of a DeepLesion series folder on the server (under DETECTION_SERIES_ROOT); poll the job' })
  startJob(@Body() body: StartDetectionJobDto) {
    return this.jobs.startJob(body);
  }

  @Get('jobs/:id')
  @RequireRole('curator')
  @ApiOperation({ summary: 'Status of a detection job: progress (done/total slices), and the boxes per slice when finished' })
  getJob(@Param('id', ParseUUIDPipe) id: string) {
    return this.jobs.getJob(id);
  }
}
