import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DatasetScope, datasetList, effectiveDatasets, filterWithinScope } from '../common/dataset-scope';
import { COARSE_TYPES } from '../deeplesion/coarse-types';
import { criteriaFromDto } from '../lesions/lesion-criteria';
import { LesionsService } from '../lesions/lesions.service';
import { SIMILAR_LESIONS, SimilarLesions } from '../lesions/similar-lesions.port';
import { EncoderService } from '../ml/encoder.service';
import { GrowthService } from '../growth/growth.service';
import { LesionTagsService } from '../tags/lesion-tags.service';
import { TagQueryInterpretation, TagQueryService } from '../tags/query/tag-query.service';
import { VocabularyService } from '../tags/vocabulary.service';
import { splitName } from '../lesions/lesion.view';
import { AGE_BANDS, csvHeader, csvLine, ExportRow, jsonRecord, orderedCounts, SIZE_BANDS } from './cohort-export';
import { CohortDefinitionDto, CreateCohortDto, UpdateCohortDto } from './cohorts.dto';
import { CohortsRepository, CohortVersionRow, MemberQuery } from './cohorts.repository';

export interface CohortCounts {
  total: number;
  byType: { code: number; name: string; count: number }[];
  bySex: { key: string; count: number }[];
  byAgeBand: { key: string; count: number }[];
  bySplit: { key: string; count: number }[];
  bySizeBand: { key: string; count: number }[];
}

export interface ResolvedDefinition {
  query: MemberQuery;
  tags?: TagQueryInterpretation;
  similarTo?: { lesionId: number; minSimilarity: number; matched: number };
  response?: { categories: string[]; matched: number };
}

const EXPORT_BATCH = 2000;

@Injectable()
export class CohortsService {
  constructor(
    private readonly repository: CohortsRepository,
    private readonly lesions: LesionsService,
    private readonly tagQueries: TagQueryService,
    private readonly tags: LesionTagsService,
    private readonly vocabulary: VocabularyService,
    @Inject(SIMILAR_LESIONS) private readonly similarLesions: SimilarLesions,
    private readonly encoder: EncoderService,
    private readonly growth: GrowthService,
  ) {}

  /**
   * A definition as SQL inputs: structured filter, compiled tag query, similar-lesion ids; every part
   * intersected with the scope's datasets. Saved definitions are read as stored (older versions keep
   * `dataset` as one name).
   */
  async resolve(definition: CohortDefinitionDto, scope: DatasetScope): Promise<ResolvedDefinition> {
    const criteria = definition.criteria;
    const query: MemberQuery = {
      filter: criteria
        ? { ...criteriaFromDto({ ...criteria, dataset: datasetList(criteria.dataset) }, scope), noisy: criteria.noisy }
        : { datasets: effectiveDatasets(scope) },
    };
    const resolved: ResolvedDefinition = { query };
    if (definition.tags !== undefined) {
      const compiled = await this.tagQueries.compile(definition.tags);
      query.tagSql = compiled.sql;
      resolved.tags = compiled.interpretation;
    }
    if (definition.similarTo) {
      const { lesionId, minSimilarity, excludeSamePatient } = definition.similarTo;
      const similar = await this.similarLesions.similarAbove(lesionId, minSimilarity, excludeSamePatient ?? true, scope);
      query.lesionIds = similar.map((s) => s.lesionId);
      resolved.similarTo = { lesionId, minSimilarity, matched: similar.length };
    }
    if (definition.response?.length) {
      const responding = await this.growth.lesionsWithResponse(definition.response, scope);
      const similar = query.lesionIds ? new Set(query.lesionIds) : null;
      query.lesionIds = similar ? responding.filter((id) => similar.has(id)) : responding;
      resolved.response = { categories: definition.response, matched: responding.length };
    }
    return resolved;
  }

  /** Live counts for the cohort builder (nothing saved). */
  async preview(definition: CohortDefinitionDto, scope: DatasetScope) {
    const resolved = await this.resolve(definition, scope);
    return { counts: await this.counts(resolved.query), tags: resolved.tags, similarTo: resolved.similarTo, response: resolved.response };
  }

  /** A key limited to datasets saves the definition limited to them too, so nobody re-running it sees more. */
  async create(dto: CreateCohortDto, createdBy: string | null, scope: DatasetScope) {
    const definition = definitionInScope(dto.definition, scope);
    const resolved = await this.resolve(definition, scope);
    const id = await this.repository.createCohort(dto.name, dto.description ?? null, createdBy);
    const version = await this.saveVersion(id, definition, resolved, createdBy);
    return this.get(id, { version }, scope);
  }

  /** A changed definition is a new version; earlier versions stay as they were. */
  async update(id: number, dto: UpdateCohortDto, createdBy: string | null, scope: DatasetScope) {
    await this.findVersion(id, undefined, scope);
    const definition = definitionInScope(dto.definition, scope);
    const resolved = await this.resolve(definition, scope);
    if (dto.description !== undefined) await this.repository.updateDescription(id, dto.description);
    // The version this request saved, not the latest: a concurrent update may already have added another.
    const version = await this.saveVersion(id, definition, resolved, createdBy);
    return this.get(id, { version }, scope);
  }

  /** Saved cohorts the scope may see: those whose latest definition names only datasets inside it. */
  async list(scope: DatasetScope) {
    const rows = await this.repository.list();
    return rows.flatMap(({ datasetFilter, ...row }) => (filterWithinScope(scope, datasetList(datasetFilter)) ? [row] : []));
  }

  async delete(id: number, scope: DatasetScope): Promise<void> {
    await this.findVersion(id, undefined, scope);
    if (!(await this.repository.delete(id))) throw new NotFoundException(`Cohort ${id} does not exist`);
  }

  /**
   * Re-runs a saved version: counts, a page of members, and whether it still selects exactly the
   * lesions it selected when saved (same count and checksum of ids), with what changed since.
   */
  async get(id: number, options: { version?: number; offset?: number; limit?: number }, scope: DatasetScope) {
    const saved = await this.findVersion(id, options.version, scope);
    const resolved = await this.resolve(saved.definition as CohortDefinitionDto, scope);
    const offset = options.offset ?? 0;
    const limit = options.limit ?? 50;
    const [counts, ids, fingerprint, vocabularyVersion, labelsVersion] = await Promise.all([
      this.counts(resolved.query),
      this.repository.pageIds(resolved.query, offset, limit),
      this.repository.fingerprint(resolved.query),
      this.vocabulary.current().then((v) => v.version),
      this.tags.labelsVersion(),
    ]);
    const views = await this.lesions.getLesionViews(ids, scope);
    const tags = await this.tags.termsOf(ids);
    const modelId = this.encoder.status().modelId;
    return {
      cohort: {
        id: saved.cohortId,
        name: saved.name,
        description: saved.description,
        version: saved.version,
        latestVersion: saved.latestVersion,
        definition: saved.definition,
        createdBy: saved.createdBy,
        createdAt: saved.createdAt,
        saved: {
          memberCount: saved.memberCount,
          membersMd5: saved.membersMd5,
          vocabularyVersion: saved.vocabularyVersion,
          labelsVersion: saved.labelsVersion,
          modelId: saved.modelId,
        },
      },
      reproduced: {
        sameMembers: fingerprint.count === saved.memberCount && fingerprint.md5 === saved.membersMd5,
        memberCount: fingerprint.count,
        vocabularyChanged: vocabularyVersion !== saved.vocabularyVersion,
        labelsChanged: labelsVersion !== saved.labelsVersion,
        modelChanged: saved.modelId !== null && saved.modelId !== modelId,
      },
      counts,
      query: { tags: resolved.tags, similarTo: resolved.similarTo, response: resolved.response },
      members: { total: counts.total, offset, limit, items: views.map((v) => ({ ...v, tags: tags.get(v.id) ?? [] })) },
    };
  }

  /** The export's file name and a writer that streams every member (constant memory). */
  async export(id: number, format: 'csv' | 'json', version: number | undefined, write: (chunk: string) => Promise<void>, scope: DatasetScope): Promise<number> {
    const saved = await this.findVersion(id, version, scope);
    const resolved = await this.resolve(saved.definition as CohortDefinitionDto, scope);
    if (format === 'csv') await write(csvHeader());
    else
      await write(
        `{"cohort":${JSON.stringify({ id: saved.cohortId, name: saved.name, version: saved.version, definition: saved.definition, exportedAt: new Date().toISOString() })},"members":[\n`,
      );
    let first = true;
    const total = await this.repository.streamMembers(resolved.query, EXPORT_BATCH, async (rows: ExportRow[]) => {
      let chunk = '';
      for (const row of rows) {
        if (format === 'csv') chunk += csvLine(row);
        else {
          chunk += (first ? '' : ',\n') + JSON.stringify(jsonRecord(row));
          first = false;
        }
      }
      await write(chunk);
    });
    if (format === 'json') await write(`\n],"total":${total}}\n`);
    return total;
  }

  async exportName(id: number, version: number | undefined, scope: DatasetScope): Promise<string> {
    const saved = await this.findVersion(id, version, scope);
    return `cohort-${saved.cohortId}-v${saved.version}-${
      saved.name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')
        .slice(0, 60) || 'members'
    }`;
  }

  private async saveVersion(id: number, definition: CohortDefinitionDto, resolved: ResolvedDefinition, createdBy: string | null): Promise<number> {
    const [fingerprint, vocabulary, labelsVersion] = await Promise.all([
      this.repository.fingerprint(resolved.query),
      this.vocabulary.current(),
      this.tags.labelsVersion(),
    ]);
    return this.repository.addVersion(id, {
      definition: JSON.parse(JSON.stringify(definition)),
      memberCount: fingerprint.count,
      membersMd5: fingerprint.md5,
      vocabularyVersion: vocabulary.version,
      labelsVersion,
      modelId: this.encoder.status().modelId,
      createdBy,
    });
  }

  /** A saved version; one whose datasets are not all inside the scope is a 404, as if it did not exist. */
  private async findVersion(id: number, version: number | undefined, scope: DatasetScope): Promise<CohortVersionRow> {
    let saved = await this.repository.findVersion(id, version);
    if (saved && !filterWithinScope(scope, datasetList((saved.definition as CohortDefinitionDto | null)?.criteria?.dataset))) saved = null;
    if (!saved) throw new NotFoundException(version ? `Cohort ${id} has no version ${version}` : `Cohort ${id} does not exist`);
    return saved;
  }

  private async counts(query: MemberQuery): Promise<CohortCounts> {
    const rows = await this.repository.counts(query);
    const of = (dim: string) => rows.filter((r) => r.dim === dim);
    return {
      total: of('total')[0]?.count ?? 0,
      byType: of('type')
        .map((r) => ({ code: Number(r.key), name: COARSE_TYPES[Number(r.key)] ?? 'unlabelled', count: r.count }))
        .sort((a, b) => a.code - b.code),
      bySex: orderedCounts(of('sex'), ['F', 'M', 'unknown']),
      byAgeBand: orderedCounts(of('age'), AGE_BANDS),
      bySplit: orderedCounts(
        of('split').map((r) => ({ key: r.key === null ? null : splitName(Number(r.key)), count: r.count })),
        ['train', 'val', 'test', 'unknown'],
      ),
      bySizeBand: orderedCounts(of('size'), SIZE_BANDS),
    };
  }
}

/** The definition as a key limited to datasets saves it: its dataset filter narrowed to (or checked against) the key's. */
export function definitionInScope(definition: CohortDefinitionDto, scope: DatasetScope): CohortDefinitionDto {
  if (scope.datasets === null) return definition;
  const dataset = effectiveDatasets(scope, definition.criteria?.dataset);
  return { ...definition, criteria: { ...(definition.criteria ?? {}), dataset } as CohortDefinitionDto['criteria'] };
}
