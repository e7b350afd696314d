import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException, OnApplicationBootstrap } from '@nestjs/common';
import { ChangeFeedService } from '../change-log/change-feed.service';
import { COARSE_TYPE_TERMS, DEFAULT_VOCABULARY } from './vocabulary/default-vocabulary';
import { parseLesanetOntology } from './vocabulary/lesanet-ontology.parser';
import { readXlsxRows, XlsxFormatError } from './vocabulary/xlsx';
import { LesionTagsRepository } from './lesion-tags.repository';
import { linkTerms, vocabularyProblems } from './vocabulary/vocabulary-links';
import { ancestorsByTerm, descendantsByTerm, exclusivePairs, ImportMode, MergeConflict, MergedVocabulary, mergeVocabularies } from './vocabulary/ontology';
import { TermMatcher } from './text/term-matcher';
import { StoredVocabulary, VocabularyRepository } from './vocabulary.repository';
import { TermClass, VocabularyTerm } from './vocabulary/vocabulary';

/** The vocabulary as the query language, tagging and mining use it: one immutable snapshot. */
export class VocabularySnapshot {
  readonly byName: Map<string, VocabularyTerm>;
  readonly nameById: Map<number, string>;
  readonly matcher: TermMatcher;
  private readonly descendants: Map<string, Set<string>>;
  private readonly ancestors: Map<string, Set<string>>;
  readonly exclusive: Map<string, Set<string>>;
  private readonly bySynonym = new Map<string, string>();

  constructor(
    readonly terms: VocabularyTerm[],
    readonly idByName: Map<string, number>,
    readonly version: number,
  ) {
    this.byName = new Map(terms.map((t) => [t.name, t]));
    this.nameById = new Map([...idByName].map(([name, id]) => [id, name]));
    this.matcher = new TermMatcher(terms);
    this.descendants = descendantsByTerm(terms);
    this.ancestors = ancestorsByTerm(terms);
    this.exclusive = exclusivePairs(terms);
    for (const t of terms) for (const s of t.synonyms) if (!this.byName.has(s)) this.bySynonym.set(s, t.name);
  }

  /** Term ids a query for `term` matches: the term and every descendant. */
  expandIds(term: string): number[] {
    return [...(this.descendants.get(term) ?? [])].map((name) => this.idByName.get(name)!).filter((id) => id !== undefined);
  }

  descendantsOf(term: string): string[] {
    return [...(this.descendants.get(term) ?? [])].filter((name) => name !== term);
  }

  ancestorsOf(term: string): string[] {
    return [...(this.ancestors.get(term) ?? [])];
  }

  /** A term by its name or an exact synonym (case-insensitive); undefined when neither. */
  lookup(text: string): VocabularyTerm | undefined {
    const key = text.trim().toLowerCase();
    return this.byName.get(key) ?? this.byName.get(this.bySynonym.get(key) ?? '');
  }

  idOf(term: string): number {
    const id = this.idByName.get(term);
    if (id === undefined) throw new Error(`term "${term}" has no id`);
    return id;
  }
}

export interface ImportSummary {
  origin: string;
  mode: ImportMode;
  termsInFile: number;
  added: number;
  updated: number;
  totalTerms: number;
  /** Every name or synonym the import and a stored term both claimed; the imported term won each. */
  conflicts: MergeConflict[];
  /** Stored terms folded into an imported term (their name is now its synonym, their tags are its tags). */
  folded: { from: string; into: string }[];
  /** Stored terms a replace deleted, with their tags. */
  removed: string[];
  warnings: string[];
}

// Another process may import a vocabulary; its version is checked at most this often.
const VERSION_CHECK_MS = 5_000;
// Concurrent imports make an import merge again; this many tries before a 409.
const MAX_IMPORT_ATTEMPTS = 5;

@Injectable()
export class VocabularyService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Vocabulary');
  private snapshot: VocabularySnapshot | null = null;
  private checkedAt = 0;
  private loading: Promise<VocabularySnapshot> | null = null;

  constructor(
    private readonly repository: VocabularyRepository,
    private readonly tags: LesionTagsRepository,
    changes: ChangeFeedService,
  ) {
    // Another process imported a vocabulary: reload on the next use instead of after the version check's delay.
    changes.subscribe((entries) => {
      if (entries.some((e) => e.kind === 'vocabulary')) this.snapshot = null;
    });
  }

  /** Seeds the default vocabulary into an empty database and tags lesions by their coarse type. */
  async onApplicationBootstrap(): Promise<void> {
    const stored = await this.repository.load();
    if (!stored.terms.length) {
      await this.repository.save(DEFAULT_VOCABULARY, 'default');
      this.logger.log(`Default vocabulary stored: ${DEFAULT_VOCABULARY.length} terms`);
    }
    await this.syncCoarseTypeTags();
  }

  /** The current vocabulary (reloaded when another process changed it). */
  async current(): Promise<VocabularySnapshot> {
    const now = Date.now();
    if (this.snapshot && now - this.checkedAt < VERSION_CHECK_MS) return this.snapshot;
    if (this.snapshot && (await this.repository.currentVersion()) === this.snapshot.version) {
      this.checkedAt = now;
      return this.snapshot;
    }
    this.loading ??= this.repository
      .load()
      .then((stored) => {
        this.snapshot = new VocabularySnapshot(stored.terms, stored.idByName, stored.version);
        this.checkedAt = Date.now();
        return this.snapshot;
      })
      .finally(() => (this.loading = null));
    return this.loading;
  }

  /** Tags lesions of a known DeepLesion coarse type with its term; returns how many tags were added. */
  async syncCoarseTypeTags(): Promise<number> {
    const vocabulary = await this.current();
    const termIdByType = new Map<number, number>();
    for (const [type, name] of Object.entries(COARSE_TYPE_TERMS)) {
      // By lookup: a folded coarse-type term is found as the synonym of the term it became.
      const found = vocabulary.lookup(name);
      const id = found && vocabulary.idByName.get(found.name);
      if (id !== undefined) termIdByType.set(Number(type), id);
    }
    return this.tags.syncCoarseTypeTags(termIdByType);
  }

  /**
   * Merges an external ontology into the stored one, or replaces it (see mergeVocabularies for the rule
   * that resolves conflicts); refuses (and stores nothing) when the result breaks the hierarchy.
   */
  async importOntology(incoming: VocabularyTerm[], origin: string, mode: ImportMode = 'merge', warnings: string[] = []): Promise<ImportSummary> {
    if (!incoming.length) throw new BadRequestException('The ontology file holds no terms');
    let stored: StoredVocabulary;
    let merged: MergedVocabulary;
    const linkWarnings: string[] = [];
    // Merged from the stored state it saves over: a concurrent import in between means merging again, so the
    // result is one import applied after the other, never a mix of two merges computed from the same state.
    for (let attempt = 1; ; attempt++) {
      stored = await this.repository.load();
      merged = mergeVocabularies(stored.terms, incoming, mode);
      // A merge can leave links declared from one side (a folded term's relations move to the term it became).
      // Completing them stores the same edges (each is stored once, read both ways), and lets the one
      // validator insist that links hold both ways.
      const linked = linkTerms(merged.terms);
      const problems = vocabularyProblems(linked.terms);
      if (problems.length) {
        throw new BadRequestException({ message: `The ontology cannot be merged: ${problems.length} problem(s)`, problems: problems.slice(0, 50) });
      }
      linkWarnings.splice(0, linkWarnings.length, ...linked.warnings);
      if (await this.repository.save(linked.terms, origin, { folded: merged.folded, removed: merged.removed }, stored.version)) break;
      if (attempt === MAX_IMPORT_ATTEMPTS) throw new ConflictException('The vocabulary kept changing during the import (other imports); try again');
    }
    warnings = [...warnings, ...linkWarnings];
    this.snapshot = null;
    const before = new Set(stored.terms.map((t) => t.name));
    const added = incoming.filter((t) => !before.has(t.name)).length;
    await this.syncCoarseTypeTags();
    return {
      origin,
      mode,
      termsInFile: incoming.length,
      added,
      updated: incoming.length - added,
      totalTerms: merged.terms.length,
      conflicts: merged.conflicts,
      folded: merged.folded,
      removed: merged.removed,
      warnings,
    };
  }

  /**
   * An ontology spreadsheet in LesaNet's layout (id, class, term, synonyms, num_detected,
   * term_exclusive, term_parents, term_children; values separated by " | "). A file that is not a
   * spreadsheet, or whose rows all fail, is a 400 and changes nothing.
   */
  async importOntologyFile(
    file: Buffer,
    origin: string,
    mode: ImportMode = 'merge',
  ): Promise<ImportSummary & { rowErrors: { row: number; message: string }[] }> {
    let rows: string[][];
    try {
      rows = readXlsxRows(file);
    } catch (error) {
      if (error instanceof XlsxFormatError) throw new BadRequestException(`The ontology file is not a readable .xlsx spreadsheet: ${error.message}`);
      throw error;
    }
    const parsed = parseLesanetOntology(rows);
    if (!parsed.terms.length) throw new BadRequestException({ message: 'No term could be read from the ontology file', rowErrors: parsed.errors.slice(0, 50) });
    const summary = await this.importOntology([...parsed.terms], origin, mode, parsed.warnings);
    return { ...summary, rowErrors: parsed.errors };
  }

  async listTerms(termClass?: TermClass): Promise<{ name: string; termClass: TermClass; synonyms: string[]; parents: string[] }[]> {
    const vocabulary = await this.current();
    return vocabulary.terms
      .filter((t) => !termClass || t.termClass === termClass)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((t) => ({ name: t.name, termClass: t.termClass, synonyms: t.synonyms, parents: t.parents }));
  }

  async getTerm(name: string) {
    const vocabulary = await this.current();
    const term = vocabulary.lookup(name);
    if (!term) throw new NotFoundException(`"${name}" is not a term of the vocabulary`);
    return {
      name: term.name,
      termClass: term.termClass,
      synonyms: term.synonyms,
      parents: term.parents,
      children: term.children,
      ancestors: vocabulary.ancestorsOf(term.name),
      descendants: vocabulary.descendantsOf(term.name),
      exclusive: [...(vocabulary.exclusive.get(term.name) ?? [])],
    };
  }

  async suggest(prefix: string, limit: number) {
    return (await this.current()).matcher.suggest(prefix, limit);
  }
}
