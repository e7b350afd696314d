import { BadRequestException, Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post, UploadedFile } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AcceptsUploads } from '../common/multipart-uploads';
import { LesionsService } from '../lesions/lesions.service';
import { SimilarSearchDto, TagSearchDto } from './search.dto';
import { SearchService } from './search.service';

@ApiTags('search')
@ApiBearerAuth()
@Controller()
export class SearchController {
  constructor(
    private readonly search: SearchService,
    private readonly lesions: LesionsService,
  ) {}

  @Post('search/tags')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lesions matching a tag query (ontology-expanded, boolean), with structured filters; best confidence first, paginated' })
  tags(@Body() body: TagSearchDto) {
    // Checked here: class-validator lets the IsOptional that TagSearchDto inherits for q win over IsDefined.
    if (body.q === undefined || body.q === null) throw new BadRequestException('q is required: a tag query');
    return this.lesions.listLesions(body);
  }

  @Post('search/similar')
  @HttpCode(200)
  @AcceptsUploads({ name: 'file', maxCount: 1 })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiOperation({
    summary: 'Similar lesions: by lesionId (JSON), or by an uploaded slice (multipart: file, box, spacingMm, huWindow for 8-bit images), with filters',
  })
  similar(@Body() body: SimilarSearchDto, @UploadedFile() file?: { buffer: Buffer }) {
    return this.search.similar(body, file?.buffer);
  }

  @Get('lesions/:id/follow-ups')
  @ApiOperation({ summary: "The same lesion in the patient's other studies, ranked by appearance, location and size" })
  followUps(@Param('id', ParseIntPipe) id: number) {
    return this.search.followUps(id);
  }
}
