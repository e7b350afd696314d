import { ParseIdPipe } from '../common/parse-id.pipe';
import { BadRequestException, Body, Delete, Get, HttpCode, Param, Post, UploadedFile } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AuthenticatedKey, CurrentKey, KeyScope, KeyedController, RequireRole } from '../auth/auth.decorators';
import { DatasetScope } from '../common/dataset-scope';
import { UploadRoute } from '../common/upload-route';
import { PredictGrowthDto, RebuildTracksDto, TrackEditDto } from './growth.dto';
import { GrowthService } from './growth.service';

@KeyedController('growth')
export class GrowthController {
  constructor(private readonly growth: GrowthService) {}

  @Get('lesions/:id/track')
  @ApiOperation({
    summary: "The lesion's track across the patient's studies: diameters, change from baseline and nadir, RECIST 1.1, growth rate, doubling time",
  })
  track(@Param('id', ParseIdPipe) id: number, @KeyScope() scope: DatasetScope) {
    return this.growth.trackOf(id, scope);
  }

  @Get('lesions/:id/track/decisions')
  @ApiOperation({ summary: "Curators' decisions involving this lesion" })
  decisions(@Param('id', ParseIdPipe) id: number, @KeyScope() scope: DatasetScope) {
    return this.growth.decisionsOf(id, scope);
  }

  @Post('growth/track-edits')
  @HttpCode(200)
  @RequireRole('curator')
  @ApiOperation({ summary: 'Confirm, split, merge or unlink a track (kept by every later automatic run; 409 when it contradicts an earlier decision)' })
  edit(@Body() body: TrackEditDto, @KeyScope() scope: DatasetScope, @CurrentKey() key?: AuthenticatedKey) {
    return this.growth.edit(body.action, body.lesionId, body.withLesionId, key?.name ?? null, scope);
  }

  @Delete('growth/decisions/:id')
  @HttpCode(204)
  @RequireRole('curator')
  @ApiOperation({ summary: "Withdraws a curator's track decision (the patient's tracks are rebuilt)" })
  async deleteDecision(@Param('id', ParseIdPipe) id: number, @KeyScope() scope: DatasetScope) {
    await this.growth.deleteDecision(id, scope);
  }

  @Post('growth/tracks/rebuild')
  @HttpCode(200)
  @RequireRole('curator')
  @ApiOperation({ summary: "Rebuilds automatic tracks (one lesion's patient, or every stale patient); curators' decisions are kept" })
  rebuild(@Body() body: RebuildTracksDto, @KeyScope() scope: DatasetScope) {
    return this.growth.rebuild(body.lesionId, scope);
  }

  @UploadRoute(
    'growth/predict',
    'Predicted long axis after intervalDays (80 % interval, RECIST probabilities) from similar lesions’ tracks, with both baselines and the evidence',
    [{ name: 'file', maxCount: 1 }],
  )
  predict(@Body() body: PredictGrowthDto, @KeyScope() scope: DatasetScope, @UploadedFile() file?: { buffer: Buffer }) {
    if (file && !body.box) throw new BadRequestException('An uploaded slice needs its lesion box: box="x1,y1,x2,y2"');
    const prior = body.priorLongAxesMm?.split(',').map(Number);
    if (prior?.some((mm) => !(mm >= 0.5 && mm <= 500))) throw new BadRequestException('priorLongAxesMm must be long axes in mm, each 0.5..500');
    if (!file && (prior || body.longAxisMm !== undefined))
      throw new BadRequestException('longAxisMm and priorLongAxesMm go with an uploaded slice; an archived lesion has its own track');
    return this.growth.predict(
      {
        lesionId: body.lesionId,
        upload: file ? { bytes: file.buffer, box: body.box!, spacingMm: body.spacingMm, huWindow: body.huWindow, encoding: body.encoding } : undefined,
        longAxisMm: body.longAxisMm,
        priorLongAxesMm: prior,
        intervalDays: body.intervalDays,
        k: body.k,
      },
      scope,
    );
  }
}
