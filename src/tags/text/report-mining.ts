import { MatchedToken, TermMatcher, TermMention } from './term-matcher';
import { TermClass, VocabularyTerm } from '../vocabulary/vocabulary';
import { ancestorsOf } from '../vocabulary/vocabulary-links';

export type MinedStatus = 'positive' | 'negated' | 'uncertain';

/** How a mined term was found. */
export type MinedSource =
  /** written in the text */
  | 'mention'
  /** a narrower term was written: "right upper lobe" implies "lung" */
  | 'ancestor'
  /** all its components were written: "hepatic … mass" implies "liver mass" */
  | 'compound';

export interface MinedTerm {
  term: string;
  termClass: TermClass;
  status: MinedStatus;
  /**
   * How likely the term holds for the lesion: 0.9 positive and written exactly, 0.75 positive through a
   * corrected typo, 0.85 for a compound, 0.5 uncertain (0.4 with a typo), 0.05 negated. An ancestor takes
   * the confidence of the term that implies it.
   */
  confidence: number;
  source: MinedSource;
  /** The words it was found in (for an ancestor or a compound, those of the term that implied it). */
  evidence: { start: number; end: number; text: string }[];
  fuzzy: boolean;
}

/** Two exclusive terms were both positive; the one kept is nearer the lesion's head noun (see mineReport). */
export interface ExclusiveConflict {
  kept: string;
  dropped: string;
}

export interface MinedReport {
  terms: MinedTerm[];
  conflicts: ExclusiveConflict[];
}

export interface MiningOptions {
  /** Words a trigger reaches (NegEx uses 5; lists of findings in reports are often a little longer). */
  scopeWords?: number;
  /**
   * Classes whose exclusive terms are resolved when both are positive (default: attributes only). Body parts
   * are not: a sentence names the neighbours of a lesion ("pleural and chest wall mass"); nor types: one
   * lesion can be a "hemorrhagic fluid collection".
   */
  resolveExclusiveClasses?: readonly TermClass[];
}

type TriggerKind = 'negation' | 'uncertainty' | 'pseudo';
type TriggerDirection = 'forward' | 'backward' | 'both';

interface TriggerPattern {
  words: string[];
  kind: TriggerKind;
  direction: TriggerDirection;
}

const pattern = (kind: TriggerKind, direction: TriggerDirection, phrases: string[]): TriggerPattern[] =>
  phrases.map((p) => ({ words: p.split(' '), kind, direction }));

/**
 * NegEx-style triggers. Pseudo-triggers contain a trigger word but negate nothing ("no change"); they are
 * matched first and take their words out of play.
 */
const TRIGGERS: TriggerPattern[] = [
  ...pattern('pseudo', 'forward', [
    'no change',
    'no significant change',
    'no interval change',
    'no increase',
    'no significant increase',
    'not only',
    'not change',
    'not changed',
    'without change',
    'without significant change',
    'without interval change',
    'no longer',
    'not significantly changed',
    'no definite change',
  ]),
  ...pattern('negation', 'forward', [
    'no',
    'without',
    'not',
    'negative for',
    'free of',
    'absence of',
    'no evidence of',
    'no definite',
    'no suspicious',
    'neither',
    'nor',
    'resolution of',
  ]),
  ...pattern('negation', 'backward', [
    'is absent',
    'are absent',
    'has resolved',
    'have resolved',
    'no longer seen',
    'no longer visualized',
    'not seen',
    'not visualized',
    'is gone',
  ]),
  ...pattern('negation', 'both', ['absent', 'resolved', 'ruled out']),
  ...pattern('uncertainty', 'forward', [
    'possibly',
    'possible',
    'probable',
    'probably',
    'likely',
    'may represent',
    'may be',
    'might be',
    'could be',
    'could represent',
    'suspicious for',
    'suspected',
    'suspect',
    'questionable',
    'question of',
    'concerning for',
    'suggestive of',
    'suggesting',
    'differential includes',
    'consider',
    'cannot exclude',
    'cannot rule out',
    'rule out',
    'r o',
    'presumed',
    'presumably',
    'equivocal',
    'indeterminate',
    'favor',
    'favored',
  ]),
  ...pattern('uncertainty', 'backward', [
    'cannot be excluded',
    'can not be excluded',
    'not excluded',
    'is not excluded',
    'cannot be ruled out',
    'is suspected',
    'are suspected',
    'is possible',
    'less likely',
    'not ruled out',
  ]),
  ...pattern('uncertainty', 'both', ['versus', 'vs']),
].sort((a, b) => b.words.length - a.words.length);

/** Words that end every trigger's reach, as sentence punctuation does. */
const SCOPE_BREAKING_WORDS = new Set(['but', 'however', 'although', 'though', 'except', 'yet', 'which', 'whereas']);
const SCOPE_BREAKING_PUNCTUATION = new Set(['.', ';', '!', '?', ':']);

interface FoundTrigger {
  kind: TriggerKind;
  direction: TriggerDirection;
  tokenStart: number;
  tokenEnd: number;
}

interface Candidate {
  term: string;
  status: MinedStatus;
  source: MinedSource;
  fuzzy: boolean;
  confidence: number;
  evidence: { start: number; end: number; text: string }[];
  /** Token position of the words it was found in (for the head-noun rule); -1 for implied terms. */
  tokenStart: number;
  tokenEnd: number;
}

const STATUS_ORDER: Record<MinedStatus, number> = { positive: 2, uncertain: 1, negated: 0 };

/**
 * Mines the terms of one report sentence (or a few) about one lesion:
 * 1. terms written in the text (the matcher's mentions, and the terms overlapping them: "lymphadenopathy"
 *    inside "right hilar lymphadenopathy", "anterior mediastinal" across "anterior mediastinal lymph node",
 *    unless they exclude the mention's term or its ancestors: not "calcified" inside "not calcified", not
 *    "neck" inside "neck of the pancreas"), each positive, negated or uncertain by the NegEx-style triggers
 *    reaching it. A trigger reaches `scopeWords` words forward (or backward, for "… is absent") and stops
 *    at ; . : ? !, at but/however/although, and at another trigger. An uncertainty word written before an
 *    attribute that modifies a noun ("possibly necrotic mass") qualifies the attribute, not the noun.
 * 2. exclusive terms that are both positive (of the classes in `resolveExclusiveClasses`): the one written nearer the lesion's head noun (the first
 *    written type term, e.g. "mass"; else the word "lesion"; else the end of the text) is kept; at equal
 *    distance the later one, as later words in these phrases are nearer the noun they modify.
 * 3. compound terms all of whose components were written ("liver mass" from "hepatic … mass").
 * 4. the ancestors of every positive or uncertain term, with its status.
 * A term found several ways keeps its strongest status (positive, then uncertain, then negated).
 */
export function mineReport(
  text: string,
  matcher: TermMatcher,
  vocabularyTerms: ReadonlyMap<string, VocabularyTerm> | readonly VocabularyTerm[] = matcher.terms,
  options: MiningOptions = {},
): MinedReport {
  const vocabulary = asMap(vocabularyTerms);
  const scopeWords = options.scopeWords ?? 6;
  const resolveClasses = options.resolveExclusiveClasses ?? ['attribute'];
  const { mentions, overlapping, tokens } = matcher.match(text);
  const triggers = findTriggers(tokens);
  const clauseOf = clauses(tokens, triggers);

  const written: Candidate[] = [];
  for (const mention of mentions) {
    const status = statusOf(mention, mentions, tokens, triggers, clauseOf, scopeWords, vocabulary);
    written.push(fromMention(mention, status));
    // A term overlapping this mention shares its status, unless it cannot hold together with the mention's term.
    const implied = new Set([mention.term, ...ancestorsOf(mention.term, vocabulary)]);
    for (const other of overlapping) {
      if (other.tokenStart >= mention.tokenEnd || other.tokenEnd <= mention.tokenStart) continue;
      if (written.some((w) => w.term === other.term && w.tokenStart === other.tokenStart)) continue;
      if (vocabulary.get(other.term)?.exclusive.some((name) => implied.has(name))) continue;
      written.push(fromMention(other, status));
    }
  }

  const conflicts = resolveExclusive(written, resolveClasses, tokens, vocabulary);
  const kept = written.filter((c) => !conflicts.some((x) => x.dropped === c.term));
  const compounds = inferCompounds(kept, vocabulary);
  const implied: Candidate[] = [];
  for (const candidate of [...kept, ...compounds]) {
    if (candidate.status === 'negated') continue;
    for (const ancestor of ancestorsOf(candidate.term, vocabulary)) {
      implied.push({ ...candidate, term: ancestor, source: 'ancestor', tokenStart: -1, tokenEnd: -1 });
    }
  }
  return { terms: merge([...kept, ...compounds, ...implied], vocabulary), conflicts };
}

const mapOfList = new WeakMap<readonly VocabularyTerm[], ReadonlyMap<string, VocabularyTerm>>();

/** The vocabulary by name; a list is converted once (and the compound terms derived from it cached with it). */
function asMap(terms: ReadonlyMap<string, VocabularyTerm> | readonly VocabularyTerm[]): ReadonlyMap<string, VocabularyTerm> {
  if (!Array.isArray(terms)) return terms as ReadonlyMap<string, VocabularyTerm>;
  const list = terms as readonly VocabularyTerm[];
  let map = mapOfList.get(list);
  if (!map) mapOfList.set(list, (map = new Map(list.map((t) => [t.name, t]))));
  return map;
}

function fromMention(mention: TermMention, status: MinedStatus): Candidate {
  return {
    term: mention.term,
    status,
    source: 'mention',
    fuzzy: mention.fuzzy,
    confidence: confidenceOf(status, mention.fuzzy),
    evidence: [{ start: mention.start, end: mention.end, text: mention.text }],
    tokenStart: mention.tokenStart,
    tokenEnd: mention.tokenEnd,
  };
}

function confidenceOf(status: MinedStatus, fuzzy: boolean): number {
  if (status === 'negated') return 0.05;
  if (status === 'uncertain') return fuzzy ? 0.4 : 0.5;
  return fuzzy ? 0.75 : 0.9;
}

/** Triggers among the words that are not part of a term ("not" in "not calcified" is the term noncalcified). */
function findTriggers(tokens: MatchedToken[]): FoundTrigger[] {
  const found: FoundTrigger[] = [];
  for (let i = 0; i < tokens.length;) {
    const token = tokens[i];
    if (token.kind === 'punct' && token.text === '?') {
      // "? cyst" asks about what follows; "cyst?" about what precedes.
      const next = tokens[i + 1];
      const asksForward = next?.kind === 'word' && (i === 0 || tokens[i].gapBefore !== '' || SCOPE_BREAKING_PUNCTUATION.has(tokens[i - 1].text));
      found.push({ kind: 'uncertainty', direction: asksForward ? 'forward' : 'backward', tokenStart: i, tokenEnd: i + 1 });
      i++;
      continue;
    }
    const match = TRIGGERS.find((p) =>
      p.words.every((w, k) => tokens[i + k]?.kind === 'word' && tokens[i + k].role !== 'mention' && tokens[i + k].lower === w),
    );
    if (!match) {
      i++;
      continue;
    }
    found.push({ kind: match.kind, direction: match.direction, tokenStart: i, tokenEnd: i + match.words.length });
    i += match.words.length;
  }
  return found;
}

/** Clause number of every token: clauses end at ; . : ! ? (except a "? cyst" question mark) and at but/however/…. */
function clauses(tokens: MatchedToken[], triggers: FoundTrigger[]): number[] {
  const forwardQuestion = new Set(
    triggers.filter((t) => t.kind === 'uncertainty' && t.direction === 'forward' && tokens[t.tokenStart].text === '?').map((t) => t.tokenStart),
  );
  let clause = 0;
  return tokens.map((token, i) => {
    const breaks =
      (token.kind === 'punct' && SCOPE_BREAKING_PUNCTUATION.has(token.text) && !forwardQuestion.has(i)) ||
      (token.kind === 'word' && token.role !== 'mention' && SCOPE_BREAKING_WORDS.has(token.lower));
    if (breaks) return clause++;
    return clause;
  });
}

function statusOf(
  mention: TermMention,
  mentions: TermMention[],
  tokens: MatchedToken[],
  triggers: FoundTrigger[],
  clauseOf: number[],
  scopeWords: number,
  vocabulary: ReadonlyMap<string, VocabularyTerm>,
): MinedStatus {
  const clause = clauseOf[mention.tokenStart];
  const wordsBetween = (from: number, to: number) => tokens.slice(from, to).filter((t) => t.kind === 'word').length;
  const triggerBetween = (from: number, to: number) => triggers.some((t) => t.tokenStart >= from && t.tokenEnd <= to);
  let negated = false;
  let uncertain = false;
  for (const trigger of triggers) {
    if (trigger.kind === 'pseudo') continue;
    const before = trigger.tokenEnd <= mention.tokenStart;
    const after = trigger.tokenStart >= mention.tokenEnd;
    let reaches = false;
    if (before && trigger.direction !== 'backward') {
      reaches =
        clauseOf[trigger.tokenEnd - 1] === clause &&
        wordsBetween(trigger.tokenEnd, mention.tokenStart) < scopeWords &&
        !triggerBetween(trigger.tokenEnd, mention.tokenStart) &&
        !(trigger.kind === 'uncertainty' && isModifiedNoun(mention, trigger, mentions, vocabulary));
    } else if (after && trigger.direction !== 'forward') {
      reaches =
        clauseOf[Math.max(trigger.tokenStart - 1, 0)] === clause &&
        wordsBetween(mention.tokenEnd, trigger.tokenStart) < scopeWords &&
        !triggerBetween(mention.tokenEnd, trigger.tokenStart);
    }
    if (!reaches) continue;
    if (trigger.kind === 'negation') negated = true;
    else uncertain = true;
  }
  return negated ? 'negated' : uncertain ? 'uncertain' : 'positive';
}

/**
 * True when `mention` is a noun (a type term) preceded, after the trigger, only by attribute terms that
 * modify it: in "possibly necrotic mass" the uncertainty is about the necrosis, not the mass.
 */
function isModifiedNoun(mention: TermMention, trigger: FoundTrigger, mentions: TermMention[], vocabulary: ReadonlyMap<string, VocabularyTerm>): boolean {
  if (vocabulary.get(mention.term)?.termClass !== 'type') return false;
  const between = mentions.filter((m) => m.tokenStart >= trigger.tokenEnd && m.tokenEnd <= mention.tokenStart);
  return between.length > 0 && between[0].tokenStart === trigger.tokenEnd && between.every((m) => vocabulary.get(m.term)?.termClass === 'attribute');
}

function resolveExclusive(
  written: Candidate[],
  classes: readonly TermClass[],
  tokens: MatchedToken[],
  vocabulary: ReadonlyMap<string, VocabularyTerm>,
): ExclusiveConflict[] {
  const headNoun =
    written.find((c) => c.status === 'positive' && vocabulary.get(c.term)?.termClass === 'type')?.tokenStart ??
    tokens.findIndex((t) => t.lower === 'lesion' || t.lower === 'lesions');
  const head = headNoun >= 0 ? headNoun : tokens.length;
  const positive = written.filter((c) => c.status === 'positive' && classes.includes(vocabulary.get(c.term)?.termClass ?? 'attribute'));
  const distance = (term: string) =>
    Math.min(...positive.filter((c) => c.term === term).map((c) => Math.min(Math.abs(c.tokenStart - head), Math.abs(c.tokenEnd - 1 - head))));
  const lastPosition = (term: string) => Math.max(...positive.filter((c) => c.term === term).map((c) => c.tokenStart));
  const conflicts: ExclusiveConflict[] = [];
  const names = [...new Set(positive.map((c) => c.term))];
  for (const a of names) {
    for (const b of vocabulary.get(a)?.exclusive ?? []) {
      if (a >= b || !names.includes(b)) continue;
      if (conflicts.some((c) => c.dropped === a || c.dropped === b)) continue;
      const keepA = distance(a) < distance(b) || (distance(a) === distance(b) && lastPosition(a) > lastPosition(b));
      conflicts.push(keepA ? { kept: a, dropped: b } : { kept: b, dropped: a });
    }
  }
  return conflicts;
}

const compoundCache = new WeakMap<ReadonlyMap<string, VocabularyTerm>, { term: string; components: string[] }[]>();

/**
 * Terms whose name is entirely made of the names of their ancestors ("liver mass" = liver + mass,
 * "mediastinum lymph node" = mediastinum + lymph node): positive when every component was written.
 */
function compoundTerms(vocabulary: ReadonlyMap<string, VocabularyTerm>): { term: string; components: string[] }[] {
  const cached = compoundCache.get(vocabulary);
  if (cached) return cached;
  const compounds: { term: string; components: string[] }[] = [];
  for (const term of vocabulary.values()) {
    const words = term.name.split(' ');
    if (words.length < 2) continue;
    const ancestors = ancestorsOf(term.name, vocabulary)
      .map((name) => name.split(' '))
      .sort((a, b) => b.length - a.length);
    // Cover the name's words left to right with ancestor names, trying longer ones first.
    const cover = (from: number): string[] | null => {
      if (from === words.length) return [];
      for (const part of ancestors) {
        if (part.some((w, k) => words[from + k] !== w)) continue;
        const rest = cover(from + part.length);
        if (rest) return [part.join(' '), ...rest];
      }
      return null;
    };
    const components = cover(0);
    if (components && components.length >= 2) compounds.push({ term: term.name, components });
  }
  compoundCache.set(vocabulary, compounds);
  return compounds;
}

function inferCompounds(written: Candidate[], vocabulary: ReadonlyMap<string, VocabularyTerm>): Candidate[] {
  const best = new Map<string, Candidate>();
  for (const c of written)
    if (c.status !== 'negated' && (!best.has(c.term) || STATUS_ORDER[c.status] > STATUS_ORDER[best.get(c.term)!.status])) best.set(c.term, c);
  const inferred: Candidate[] = [];
  for (const { term, components } of compoundTerms(vocabulary)) {
    const parts = components.map((name) => best.get(name));
    if (parts.some((p) => !p) || best.has(term)) continue;
    const status: MinedStatus = parts.every((p) => p!.status === 'positive') ? 'positive' : 'uncertain';
    const fuzzy = parts.some((p) => p!.fuzzy);
    inferred.push({
      term,
      status,
      source: 'compound',
      fuzzy,
      confidence: status === 'positive' ? (fuzzy ? 0.7 : 0.85) : 0.45,
      evidence: parts.flatMap((p) => p!.evidence),
      tokenStart: -1,
      tokenEnd: -1,
    });
  }
  return inferred;
}

function merge(candidates: Candidate[], vocabulary: ReadonlyMap<string, VocabularyTerm>): MinedTerm[] {
  const sourceOrder: Record<MinedSource, number> = { mention: 2, compound: 1, ancestor: 0 };
  const byTerm = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const current = byTerm.get(candidate.term);
    const better =
      !current ||
      STATUS_ORDER[candidate.status] > STATUS_ORDER[current.status] ||
      (candidate.status === current.status &&
        (sourceOrder[candidate.source] > sourceOrder[current.source] || (candidate.source === current.source && candidate.confidence > current.confidence)));
    if (better) byTerm.set(candidate.term, candidate);
  }
  return [...byTerm.values()].map((c) => ({
    term: c.term,
    termClass: vocabulary.get(c.term)?.termClass ?? 'attribute',
    status: c.status,
    confidence: c.confidence,
    source: c.source,
    evidence: c.evidence,
    fuzzy: c.fuzzy,
  }));
}
