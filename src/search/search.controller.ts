import { Body, Get, HttpCode, Param, Post, UploadedFile } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { UploadRoute } from '../common/upload-route';
import { LesionsService } from '../lesions/lesions.service';
import { RelevanceFeedbackDto, SimilarSearchDto, TagSearchDto, toSimilarQuery } from './search.dto';
import { FeedbackService } from './feedback.service';
import { AuthenticatedKey, CurrentKey, KeyScope, KeyedController, RequireRole } from '../auth/auth.decorators';
import { DatasetScope } from '../common/dataset-scope';
import { SearchService } from './search.service';
import { ParseIdPipe } from '../common/parse-id.pipe';

@KeyedController('search')
export class SearchController {
  constructor(
    private readonly search: SearchService,
    private readonly lesions: LesionsService,
    private readonly feedback: FeedbackService,
  ) {}

  @Post('search/tags')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lesions matching a tag query (ontology-expanded, boolean), with structured filters; best confidence first, paginated' })
  tags(@Body() body: TagSearchDto, @KeyScope() scope: DatasetScope) {
    return this.lesions.listLesions(body, scope);
  }

  @UploadRoute(
    'search/similar',
    'Similar lesions: by lesionId (JSON), or by an uploaded slice (multipart: file, box, spacingMm, huWindow for 8-bit images), with filters',
    [{ name: 'file', maxCount: 1 }],
  )
  similar(@Body() body: SimilarSearchDto, @KeyScope() scope: DatasetScope, @UploadedFile() file?: { buffer: Buffer }) {
    return this.search.similar(toSimilarQuery(body, scope), scope, file?.buffer);
  }

  @Post('search/feedback')
  @RequireRole('curator')
  @ApiOperation({ summary: 'Curator: mark a similar-lesion hit as relevant or not (only a hit a search returned: send its feedbackToken)' })
  markHit(@Body() body: RelevanceFeedbackDto, @KeyScope() scope: DatasetScope, @CurrentKey() key?: AuthenticatedKey) {
    return this.feedback.record(body, { id: key?.id ?? 'unknown', name: key?.name ?? 'unknown' }, scope);
  }

  @Get('lesions/:id/follow-ups')
  @ApiOperation({ summary: "The same lesion in the patient's other studies, ranked by appearance, location and size" })
  followUps(@Param('id', ParseIdPipe) id: number, @KeyScope() scope: DatasetScope) {
    return this.search.followUps(id, scope);
  }
}
