import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireRole, KeyScope } from '../auth/auth.decorators';
import { DatasetScope } from '../common/dataset-scope';
import { ArchiveService } from './archive.service';
import { ParseIdPipe } from '../common/parse-id.pipe';

@ApiTags('admin')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('lesions')
export class ArchiveController {
  constructor(private readonly archive: ArchiveService) {}

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a lesion from the archive (its embeddings go too; its index point is marked deleted)' })
  delete(@Param('id', ParseIdPipe) id: number, @KeyScope() scope: DatasetScope) {
    return this.archive.deleteLesion(id, scope);
  }
}
