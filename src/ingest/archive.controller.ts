import { Delete, HttpCode, Param } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { KeyScope, KeyedController } from '../auth/auth.decorators';
import { DatasetScope } from '../common/dataset-scope';
import { ArchiveService } from './archive.service';
import { ParseIdPipe } from '../common/parse-id.pipe';

@KeyedController('admin', 'lesions', 'admin')
export class ArchiveController {
  constructor(private readonly archive: ArchiveService) {}

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a lesion from the archive (its embeddings go too; its index point is marked deleted)' })
  delete(@Param('id', ParseIdPipe) id: number, @KeyScope() scope: DatasetScope) {
    return this.archive.deleteLesion(id, scope);
  }
}
