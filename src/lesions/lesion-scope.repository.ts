import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ALL_DATASETS, DatasetScope, requireInScope } from '../common/dataset-scope';

/**
 * Which dataset a lesion belongs to, for routes that name a lesion by id: one indexed lookup, skipped
 * for keys that see every dataset. Provided by every feature that takes lesion ids (tags, growth…),
 * since the lesions feature itself depends on tags.
 */
@Injectable()
export class LesionScopeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The lesions' datasets (absent ids are left out). */
  async datasetsOf(ids: number[]): Promise<Map<number, string>> {
    if (!ids.length) return new Map();
    const rows: { id: number; dataset: string }[] = await this.dataSource.query(
      `SELECT l.id, p.dataset FROM lesion l JOIN patient p ON p.id = l.patient_id WHERE l.id = ANY($1::int[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.dataset]));
  }

  /** A 404 ("Lesion N not found") for a lesion that does not exist or lies outside the scope. */
  async requireLesions(scope: DatasetScope, ids: number[]): Promise<void> {
    if (scope === ALL_DATASETS || scope.datasets === null) return;
    const datasets = await this.datasetsOf(ids.filter((id) => Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647));
    for (const id of ids) requireInScope(scope, datasets.get(id), `Lesion ${id} not found`);
  }
}
