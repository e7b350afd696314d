import { DatasetScope } from '../common/dataset-scope';
import { Injectable, NotFoundException } from '@nestjs/common';
import { LesionsService } from '../lesions/lesions.service';
import { VectorIndexService } from '../vector-index/vector-index.service';

/** Archive maintenance that spans the database and the derived index. */
@Injectable()
export class ArchiveService {
  constructor(
    private readonly lesions: LesionsService,
    private readonly index: VectorIndexService,
  ) {}

  /** Database first (the truth); the index point is marked deleted and the next snapshot keeps that. */
  async deleteLesion(id: number, scope: DatasetScope): Promise<void> {
    // A key limited to datasets deletes only their lesions (another's is a 404, like a missing one).
    await this.lesions.findEntity(id, scope);
    if (!(await this.lesions.deleteLesion(id))) throw new NotFoundException(`Lesion ${id} not found`);
    await this.index.removeLesion(id);
  }
}
