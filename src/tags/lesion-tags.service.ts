import { ALL_DATASETS, DatasetScope, requireInScope } from '../common/dataset-scope';
import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { LesaNetLabels, lesaNetLabelTags } from './vocabulary/lesanet-labels';
import { LesionTagRow, LesionTagsRepository, NewTag } from './lesion-tags.repository';
import { mineReport } from './text/report-mining';
import { TagPredictionService } from './prediction/tag-prediction.service';
import { TagSource, TermClass } from './vocabulary/vocabulary';
import { VocabularyService, VocabularySnapshot } from './vocabulary.service';

export interface LesionTagView {
  term: string;
  termClass: TermClass | null;
  /** The best confidence among its sources. */
  confidence: number;
  sources: { source: TagSource; confidence: number; uncertain: boolean; modelId: string | null; by: string | null; at: Date }[];
}

export interface LesionTagsView {
  lesionId: number;
  tags: LesionTagView[];
  /** Terms a curator removed (they stay off the lesion). */
  rejected: string[];
}

export interface MinedReportView {
  lesionId: number;
  stored: { term: string; confidence: number; uncertain: boolean }[];
  negated: string[];
  unknownWords: string[];
}

const SOURCE_ORDER: TagSource[] = ['curator', 'report_label', 'report_mined', 'coarse_type', 'predicted'];

@Injectable()
export class LesionTagsService {
  constructor(
    private readonly repository: LesionTagsRepository,
    private readonly vocabulary: VocabularyService,
    private readonly prediction: TagPredictionService,
  ) {}

  /** Bumped whenever labels change (predictions and saved cohorts remember it). */
  labelsVersion(): Promise<number> {
    return this.repository.labelsVersion();
  }

  async tagsOf(lesionId: number, scope: DatasetScope): Promise<LesionTagsView> {
    await this.requireLesion(lesionId, scope);
    const vocabulary = await this.vocabulary.current();
    return toTagsView(lesionId, await this.repository.tagsOf([lesionId]), vocabulary);
  }

  /** Tags of many lesions at once (the list and search results show them): term names, best first. */
  async termsOf(lesionIds: number[]): Promise<Map<number, { term: string; confidence: number; source: TagSource }[]>> {
    const result = new Map<number, { term: string; confidence: number; source: TagSource }[]>(lesionIds.map((id) => [id, []]));
    for (const row of await this.repository.tagsOf(lesionIds)) {
      if (row.rejected) continue;
      const list = result.get(row.lesionId)!;
      const seen = list.find((t) => t.term === row.term);
      if (!seen) list.push({ term: row.term, confidence: row.confidence, source: row.source });
      else if (row.confidence > seen.confidence) Object.assign(seen, { confidence: row.confidence, source: row.source });
    }
    for (const list of result.values()) list.sort((a, b) => b.confidence - a.confidence || a.term.localeCompare(b.term));
    return result;
  }

  addCuratorTag(lesionId: number, termText: string, by: string, scope: DatasetScope): Promise<LesionTagsView> {
    return this.curate(lesionId, termText, scope, (vocabulary, term) => this.repository.addCuratorTag(lesionId, vocabulary.idOf(term), by));
  }

  removeTag(lesionId: number, termText: string, by: string, scope: DatasetScope): Promise<LesionTagsView> {
    return this.curate(lesionId, termText, scope, (vocabulary, term) => this.repository.rejectTerms(lesionId, vocabulary.expandIds(term), by));
  }

  /** A curator's change of one term on a lesion in the key's scope; predictions follow, and the lesion's tags are returned. */
  private async curate(
    lesionId: number,
    termText: string,
    scope: DatasetScope,
    change: (vocabulary: VocabularySnapshot, term: string) => Promise<unknown>,
  ): Promise<LesionTagsView> {
    await this.requireLesion(lesionId, scope);
    const vocabulary = await this.vocabulary.current();
    await change(vocabulary, this.requireTerm(vocabulary, termText));
    this.prediction.schedule();
    return this.tagsOf(lesionId, scope);
  }

  /** Stores the report text and replaces the lesion's report-mined tags with what it says now. */
  async mineLesionReport(lesionId: number, text: string, scope: DatasetScope): Promise<MinedReportView> {
    await this.requireLesion(lesionId, scope);
    const vocabulary = await this.vocabulary.current();
    const mined = mineReport(text, vocabulary.matcher);
    const positive = mined.terms.filter((t) => t.status !== 'negated');
    const tags: NewTag[] = positive.map((t) => ({ lesionId, termId: vocabulary.idOf(t.term), confidence: t.confidence, uncertain: t.status === 'uncertain' }));
    await this.repository.saveReport(lesionId, text);
    await this.repository.replaceSourceTags('report_mined', [lesionId], tags, { bumpLabels: true });
    this.prediction.schedule();
    return {
      lesionId,
      stored: positive.map((t) => ({ term: t.term, confidence: t.confidence, uncertain: t.status === 'uncertain' })),
      negated: mined.terms.filter((t) => t.status === 'negated').map((t) => t.term),
      unknownWords: vocabulary.matcher.match(text).unknownWords,
    };
  }

  /** Stores and mines the reports of lesions of a dataset that have none yet (the built-in sample's). */
  async mineMissingReports(dataset: string, reportFor: (sourceRow: number) => string | null): Promise<number> {
    let mined = 0;
    for (const { lesionId, sourceRow } of await this.repository.lesionsWithoutReport(dataset)) {
      const text = sourceRow === null ? null : reportFor(sourceRow);
      if (!text) continue;
      await this.mineLesionReport(lesionId, text, ALL_DATASETS);
      mined++;
    }
    return mined;
  }

  /**
   * Imports labels in LesaNet's JSON layout: lesions are rows of the dataset's DL_info.csv, matched by
   * the row each lesion was ingested from. Relevant labels become report labels, uncertain ones are
   * stored as uncertain with a lower confidence; terms missing from the vocabulary are reported.
   */
  async importLesaNetLabels(file: LesaNetLabels, dataset?: string) {
    const vocabulary = await this.vocabulary.current();
    const labelled = lesaNetLabelTags(file);
    const lesionByRow = await this.repository.lesionIdsBySourceRow([...new Set(labelled.map((l) => l.row))], dataset);
    const unknownTerms = new Set<string>();
    const tags: NewTag[] = [];
    const lesionIds = new Set<number>();
    for (const label of labelled) {
      const lesionId = lesionByRow.get(label.row);
      if (lesionId === undefined) continue;
      lesionIds.add(lesionId);
      const termId = vocabulary.idByName.get(label.term);
      if (termId === undefined) {
        unknownTerms.add(label.term);
        continue;
      }
      tags.push({ lesionId, termId, confidence: label.uncertain ? 0.5 : 1, uncertain: label.uncertain });
    }
    // A relevant label wins over an uncertain one for the same lesion and term.
    const written = lesionIds.size ? await this.repository.replaceSourceTags('report_label', [...lesionIds], preferCertain(tags), { bumpLabels: true }) : 0;
    const rows = new Set(labelled.map((l) => l.row));
    return {
      rowsInFile: rows.size,
      lesionsMatched: lesionIds.size,
      rowsNotInArchive: rows.size - lesionIds.size,
      tagsWritten: written,
      unknownTerms: [...unknownTerms].sort(),
    };
  }

  private requireTerm(vocabulary: VocabularySnapshot, text: string): string {
    const term = vocabulary.lookup(text);
    if (term) return term.name;
    const near = vocabulary.matcher.match(text).mentions.map((m) => m.term);
    throw new BadRequestException({
      message: `"${text}" is not a term of the vocabulary`,
      suggestions: [...new Set([...near, ...vocabulary.matcher.suggest(text, 5).map((s) => s.term)])].slice(0, 5),
    });
  }

  /** Another dataset's lesion is answered like a missing one. */
  private async requireLesion(id: number, scope: DatasetScope): Promise<void> {
    const dataset = await this.repository.lesionDataset(id);
    if (dataset === null) throw new NotFoundException(`Lesion ${id} does not exist`);
    requireInScope(scope, dataset, `Lesion ${id} does not exist`);
  }
}

function preferCertain(tags: NewTag[]): NewTag[] {
  const best = new Map<string, NewTag>();
  for (const t of tags) {
    const key = `${t.lesionId}:${t.termId}`;
    const seen = best.get(key);
    if (!seen || (seen.uncertain && !t.uncertain)) best.set(key, t);
  }
  return [...best.values()];
}

export function toTagsView(lesionId: number, rows: LesionTagRow[], vocabulary: VocabularySnapshot): LesionTagsView {
  const byTerm = new Map<string, LesionTagView>();
  const rejected: string[] = [];
  for (const row of rows) {
    if (row.rejected) {
      rejected.push(row.term);
      continue;
    }
    let view = byTerm.get(row.term);
    if (!view) {
      view = { term: row.term, termClass: vocabulary.byName.get(row.term)?.termClass ?? null, confidence: 0, sources: [] };
      byTerm.set(row.term, view);
    }
    view.confidence = Math.max(view.confidence, row.confidence);
    view.sources.push({ source: row.source, confidence: row.confidence, uncertain: row.uncertain, modelId: row.modelId, by: row.createdBy, at: row.createdAt });
  }
  for (const view of byTerm.values()) view.sources.sort((a, b) => SOURCE_ORDER.indexOf(a.source) - SOURCE_ORDER.indexOf(b.source));
  // A removed term takes its descendants with it; list only the terms removed at the top.
  const removed = new Set(rejected);
  const topRejected = rejected.filter((term) => !vocabulary.ancestorsOf(term).some((a) => removed.has(a)));
  return { lesionId, tags: [...byTerm.values()].sort((a, b) => b.confidence - a.confidence || a.term.localeCompare(b.term)), rejected: topRejected.sort() };
}
