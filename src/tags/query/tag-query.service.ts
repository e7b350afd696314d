import { BadRequestException, Injectable } from '@nestjs/common';
import { LesionTagsRepository } from '../lesion-tags.repository';
import { compileTagQuery } from './tag-query-sql';
import { formatTagQuery, parseTagQuery, PhraseMatch, queryTerms, TagQueryNode, TagQuerySyntaxError } from './tag-query';
import { VocabularyService, VocabularySnapshot } from '../vocabulary.service';

/** What the service understood of a query, returned with its results. */
export interface TagQueryInterpretation {
  /** The query as given. */
  text: string;
  /** The canonical query that was run: "hypodense AND liver AND NOT cyst". */
  understood: string;
  /** Each named term with what it expands to (its descendants). */
  terms: { term: string; expandsTo: number }[];
  unknownWords: string[];
  corrections: { text: string; term: string }[];
  warnings: string[];
}

export interface CompiledTagQuery {
  /** SELECT lesion_id, score: the matching lesions and how confidently. */
  sql: string;
  interpretation: TagQueryInterpretation;
}

@Injectable()
export class TagQueryService {
  constructor(
    private readonly vocabulary: VocabularyService,
    private readonly tags: LesionTagsRepository,
  ) {}

  /** The lesions a tag query matches, as a set (the similar-lesion search filters on it). */
  async matchingLesionIds(text: string): Promise<{ lesionIds: Set<number>; interpretation: TagQueryInterpretation }> {
    const compiled = await this.compile(text);
    return { lesionIds: await this.tags.lesionIdsMatching(compiled.sql), interpretation: compiled.interpretation };
  }

  /** Parses and compiles a query; a 400 names what is wrong (syntax, or no known term at all). */
  async compile(text: string): Promise<CompiledTagQuery> {
    const vocabulary = await this.vocabulary.current();
    let parsed;
    try {
      parsed = parseTagQuery(text, (phrase) => resolvePhrase(vocabulary, phrase));
    } catch (error) {
      if (error instanceof TagQuerySyntaxError) throw new BadRequestException(`Tag query: ${error.message}`);
      throw error;
    }
    if (!parsed.root) {
      throw new BadRequestException({
        message: parsed.unknownWords.length ? `No known term in the query; unknown words: ${parsed.unknownWords.join(', ')}` : 'The tag query is empty',
        unknownWords: parsed.unknownWords,
        suggestions: parsed.unknownWords.flatMap((w) => vocabulary.matcher.suggest(w.slice(0, 3), 3).map((s) => s.term)),
      });
    }
    const root = parsed.root;
    return {
      sql: compileTagQuery(root, (term) => vocabulary.idByName.get(term)),
      interpretation: {
        text,
        understood: formatTagQuery(root),
        terms: queryTerms(root).map((term) => ({ term, expandsTo: vocabulary.expandIds(term).length })),
        unknownWords: parsed.unknownWords,
        corrections: parsed.corrections,
        warnings: exclusivityWarnings(root, vocabulary),
      },
    };
  }
}

/** A phrase of free text → vocabulary terms, through the matcher (plurals, typos, synonyms). */
export function resolvePhrase(vocabulary: VocabularySnapshot, phrase: string): PhraseMatch {
  const match = vocabulary.matcher.match(phrase);
  return { terms: match.mentions.map((m) => ({ term: m.term, text: m.text, fuzzy: m.fuzzy })), unknownWords: match.unknownWords };
}

/** AND of two mutually exclusive terms can match only contradictory tags: say so. */
function exclusivityWarnings(root: TagQueryNode, vocabulary: VocabularySnapshot): string[] {
  const warnings: string[] = [];
  const visit = (node: TagQueryNode) => {
    if (node.kind === 'and') {
      const positive = node.children.filter((c): c is Extract<TagQueryNode, { kind: 'term' }> => c.kind === 'term').map((c) => c.term);
      for (let i = 0; i < positive.length; i++) {
        for (let j = i + 1; j < positive.length; j++) {
          if (vocabulary.exclusive.get(positive[i])?.has(positive[j]))
            warnings.push(`"${positive[i]}" and "${positive[j]}" are mutually exclusive: few lesions, if any, carry both`);
        }
      }
    }
    if (node.kind === 'and' || node.kind === 'or') node.children.forEach(visit);
    if (node.kind === 'not') visit(node.child);
  };
  visit(root);
  return warnings;
}
