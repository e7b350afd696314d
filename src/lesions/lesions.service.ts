import { BadRequestException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { ChangeFeedService } from '../change-log/change-feed.service';
import { DatasetScope, effectiveDatasets, requireInScope, scopeAllows } from '../common/dataset-scope';
import { decodeSlice } from '../imaging/decode-slice';
import { HuImage, pixelSpacing } from '../imaging/hu-image';
import { parseWindow, renderPatchPng } from '../imaging/render-patch';
import { COARSE_TYPES } from '../deeplesion/coarse-types';
import { LesionEntity } from './lesion.entities';
import { criteriaFromDto } from './lesion-criteria';
import { LesionFilterDto, PatchQueryDto } from './lesions.dto';
import { LesionFilter, LesionsRepository } from './lesions.repository';
import { LesionView, splitName, toLesionView } from './lesion.view';
import { LesionTagsService } from '../tags/lesion-tags.service';
import { TagQueryInterpretation, TagQueryService } from '../tags/query/tag-query.service';
import { TagSource } from '../tags/vocabulary/vocabulary';

// Views are dropped when the change log says their lesion changed (in any process); the time limit is only a backstop.
const VIEW_CACHE_MS = 10 * 60_000;
const VIEW_CACHE_MAX = 200_000;

export interface Page<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

export interface LesionListItem extends LesionView {
  tags: { term: string; confidence: number; source: TagSource }[];
  /** With a tag query: how confidently the lesion matches it. */
  tagScore?: number;
}

export interface LesionPage extends Page<LesionListItem> {
  /** With a tag query: what was understood, unknown words, corrections. */
  query?: TagQueryInterpretation;
}

export interface ArchiveStats {
  totals: { patients: number; studies: number; series: number; lesions: number };
  byCoarseType: { code: number; name: string; count: number }[];
  bySplit: { split: string | null; count: number }[];
  bySex: { sex: string | null; count: number }[];
}

@Injectable()
export class LesionsService {
  private readonly logger = new Logger('Lesions');
  private readonly viewCache = new Map<number, { view: LesionView; until: number }>();

  constructor(
    private readonly repository: LesionsRepository,
    private readonly tagQueries: TagQueryService,
    private readonly tags: LesionTagsService,
    changes: ChangeFeedService,
  ) {
    changes.subscribe((entries) => {
      for (const e of entries) if (e.kind === 'lesion' && e.key !== null) this.viewCache.delete(e.key);
    });
  }

  async getLesion(id: number, scope: DatasetScope): Promise<LesionListItem> {
    const view = toLesionView(await this.findOrThrow(id, scope));
    return { ...view, tags: (await this.tags.termsOf([id])).get(id) ?? [] };
  }

  /**
   * Views of these lesions, in the order of `ids` (unknown ids are left out). Search hits ask for the
   * same lesions again and again, so views are kept for a minute (a deletion here drops its view at once).
   * Lesions outside the scope are left out too: every list of hits passes through here, so a filter
   * missed upstream still cannot show another dataset's lesion.
   */
  async getLesionViews(ids: number[], scope: DatasetScope): Promise<LesionView[]> {
    const now = Date.now();
    const missing = ids.filter((id) => !((this.viewCache.get(id)?.until ?? 0) > now));
    if (missing.length) {
      if (this.viewCache.size > VIEW_CACHE_MAX) this.viewCache.clear();
      for (const lesion of await this.repository.findForViews(missing))
        this.viewCache.set(lesion.id, { view: toLesionView(lesion), until: now + VIEW_CACHE_MS });
    }
    return ids.flatMap((id) => {
      const entry = this.viewCache.get(id);
      return entry && scopeAllows(scope, entry.view.dataset) ? [entry.view] : [];
    });
  }

  /** The lesion with its series, study and patient; 404 when it does not exist or lies outside the scope. */
  async findEntity(id: number, scope: DatasetScope): Promise<LesionEntity> {
    return this.findOrThrow(id, scope);
  }

  otherStudiesOfPatient(lesion: LesionEntity): Promise<LesionEntity[]> {
    return this.repository.findInOtherStudies(lesion.patientId, lesion.studyId);
  }

  /** Forgets cached views of lesions an import has just written (their metadata may have changed). */
  forgetViews(ids: number[]): void {
    for (const id of ids) this.viewCache.delete(id);
  }

  /** Removes a lesion from the archive; returns false when it did not exist. */
  deleteLesion(id: number): Promise<boolean> {
    this.viewCache.delete(id);
    return this.repository.delete(id);
  }

  /** A page of lesions, each with its tags; with `q`, only lesions matching the tag query, best first. */
  async listLesions(query: LesionFilterDto, scope: DatasetScope): Promise<LesionPage> {
    const filter = toFilter(query, scope);
    const tagQuery = query.q !== undefined ? await this.tagQueries.compile(query.q) : null;
    const { total, items, scores } = await this.repository.page(filter, query.offset, query.limit, tagQuery?.sql);
    const tags = await this.tags.termsOf(items.map((l) => l.id));
    return {
      total,
      offset: query.offset,
      limit: query.limit,
      ...(tagQuery ? { query: tagQuery.interpretation } : {}),
      items: items.map((l, i) => ({ ...toLesionView(l), tags: tags.get(l.id) ?? [], ...(scores ? { tagScore: scores[i] } : {}) })),
    };
  }

  /** Counts over the datasets the scope sees. */
  async stats(scope: DatasetScope): Promise<ArchiveStats> {
    const datasets = effectiveDatasets(scope);
    const [totals, types, splits, sexes] = await Promise.all([
      this.repository.totals(datasets),
      this.repository.countBy('coarse_type', datasets),
      this.repository.countBy('split', datasets),
      this.repository.countBy('sex', datasets),
    ]);
    return {
      totals,
      byCoarseType: types.map((r) => ({ code: Number(r.key), name: COARSE_TYPES[Number(r.key)] ?? 'unknown', count: r.count })),
      bySplit: splits.map((r) => ({ split: r.key === null ? null : splitName(Number(r.key)), count: r.count })),
      bySex: sexes.map((r) => ({ sex: r.key?.trim() ?? null, count: r.count })),
    };
  }

  async renderPatch(id: number, query: PatchQueryDto, scope: DatasetScope): Promise<Uint8Array> {
    const window = parseWindow(query.window);
    if (!window) throw new BadRequestException('window must be a preset or "low,high" with high > low');
    const lesion = await this.findOrThrow(id, scope);
    const image = await this.loadKeySlice(lesion);
    return renderPatchPng(
      image,
      { x1: lesion.boxX1, y1: lesion.boxY1, x2: lesion.boxX2, y2: lesion.boxY2 },
      { window, drawBox: query.box, size: query.size, contextMm: query.contextMm },
    );
  }

  /** The lesion's key slice in HU, decoded according to how it was ingested, with its series' spacing. */
  async loadKeySlice(lesion: LesionEntity): Promise<HuImage> {
    let bytes: Buffer;
    try {
      bytes = await this.repository.readImage(lesion.imagePath);
    } catch (error) {
      this.logger.warn(`Key slice of lesion ${lesion.id} is unreadable: ${(error as Error).message}`);
      throw new NotFoundException(`The image of lesion ${lesion.id} is no longer available`);
    }
    const series = lesion.series;
    return decodeSlice(bytes, {
      encoding: lesion.imageEncoding,
      window: { low: lesion.imageHuLow ?? -1024, high: lesion.imageHuHigh ?? 3071 },
      spacing: pixelSpacing(series?.spacingXmm, series?.spacingYmm, series?.spacingZmm),
    }).image;
  }

  /** Another dataset's lesion is a 404 like a missing one, so a scoped key cannot learn that it exists. */
  private async findOrThrow(id: number, scope: DatasetScope): Promise<LesionEntity> {
    const lesion = await this.repository.findById(id);
    if (!lesion) throw new NotFoundException(`Lesion ${id} not found`);
    requireInScope(scope, lesion.series?.study?.patient?.dataset, `Lesion ${id} not found`);
    return lesion;
  }
}

export function toFilter(query: LesionFilterDto, scope: DatasetScope): LesionFilter {
  return {
    ...criteriaFromDto(query, scope),
    noisy: query.noisy,
    patientIndex: query.patient,
    studyIndex: query.study,
  };
}
