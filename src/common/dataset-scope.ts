import { ForbiddenException, NotFoundException } from '@nestjs/common';

/** A dataset name, as the ingest accepts it: 1-64 lowercase letters, digits, _ or -, starting with a letter or digit. */
export const DATASET_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const DATASET_NAME_MESSAGE = 'dataset must be 1-64 lowercase letters, digits, _ or -';
/** The most datasets one key or one filter may name. */
export const MAX_DATASETS = 32;

/**
 * The datasets (sites) a request may see: those of its API key, or null for every dataset. Controllers
 * take it from the request (@KeyScope()) and pass it to services, which intersect every query with it.
 */
export interface DatasetScope {
  readonly datasets: readonly string[] | null;
}

/** The scope of a key limited to nothing: every dataset (unscoped keys, the CLI, internal callers). */
export const ALL_DATASETS: DatasetScope = Object.freeze({ datasets: null });

export function scopeOf(datasets: readonly string[] | null | undefined): DatasetScope {
  return datasets ? { datasets: Object.freeze([...new Set(datasets)].sort()) } : ALL_DATASETS;
}

/** Whether the scope lets a request see a lesion (patient, study) of this dataset. */
export function scopeAllows(scope: DatasetScope, dataset: string): boolean {
  return scope.datasets === null || scope.datasets.includes(dataset);
}

/**
 * The datasets a query may read: the ones it asked for (each must be inside the scope: a 403 names the
 * first that is not), or else the scope's own; undefined means every dataset. Pure.
 */
export function effectiveDatasets(scope: DatasetScope, requested?: readonly string[]): string[] | undefined {
  const asked = requested?.length ? [...new Set(requested)] : undefined;
  if (scope.datasets === null) return asked;
  if (!asked) return [...scope.datasets];
  const outside = asked.find((d) => !scope.datasets!.includes(d));
  if (outside !== undefined)
    throw new ForbiddenException(`Your API key is limited to the datasets ${scope.datasets.join(', ')}; "${outside}" is not one of them`);
  return asked;
}

/**
 * A 404 for a lesion (or what hangs off it) outside the scope, worded like a missing one: a key limited
 * to some datasets cannot learn that another dataset's lesion exists.
 */
export function requireInScope(scope: DatasetScope, dataset: string | null | undefined, notFound: string): void {
  if (dataset === null || dataset === undefined || !scopeAllows(scope, dataset)) throw new NotFoundException(notFound);
}

/** A stored dataset filter (a saved cohort's `dataset`: one name, or a list in newer versions) as a list. */
export function datasetList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.length ? (value as string[]) : undefined;
  return undefined;
}

/** Whether every dataset a stored filter names lies inside the scope (an unfiltered one spans every dataset). */
export function filterWithinScope(scope: DatasetScope, datasets: readonly string[] | undefined): boolean {
  if (scope.datasets === null) return true;
  return datasets !== undefined && datasets.length > 0 && datasets.every((d) => scope.datasets!.includes(d));
}

/**
 * The dataset a write (an import, a labels file) goes to: the one asked for, else the scope's only
 * dataset, else `fallback`. A key limited to datasets may write only into them (403 otherwise).
 */
export function datasetForWrite(scope: DatasetScope, requested: string | undefined, fallback: string): string {
  const dataset = requested ?? (scope.datasets?.length === 1 ? scope.datasets[0] : fallback);
  effectiveDatasets(scope, [dataset]);
  return dataset;
}
