import { editDistance } from './edit-distance';
import { continuesPhrase, isHyphenJoined, TextToken, tokenize } from './text-tokens';
import { TermClass, VocabularyTerm } from '../vocabulary/vocabulary';
import { ancestorsOf } from '../vocabulary/vocabulary-links';

/** A term found in text. */
export interface TermMention {
  /** The term's preferred name. */
  term: string;
  /** Character offsets of the matched words in the input text. */
  start: number;
  end: number;
  text: string;
  /**
   * True when a word was read approximately: a corrected typo ("livr" → liver) or an organ word behind a
   * locative prefix ("juxtapleural" → pleura).
   */
  fuzzy: boolean;
  /** The name or synonym (or a variant of it) that matched. */
  form: string;
  /** Token range in `TermMatchResult.tokens`, end exclusive. */
  tokenStart: number;
  tokenEnd: number;
}

export type TokenRole = 'mention' | 'connective' | 'stop' | 'unknown' | 'number' | 'punct';

export interface MatchedToken extends TextToken {
  role: TokenRole;
  /** Index into `mentions` when role is 'mention'. */
  mention?: number;
}

export interface TermMatchResult {
  /** Non-overlapping mentions in text order, chosen longest first. */
  mentions: TermMention[];
  /**
   * Other terms found in words of a chosen mention: inside it ("lymph node" in "mediastinal lymph node") or
   * across its edge ("anterior mediastinal" in "anterior mediastinal lymph node"). Report mining uses them;
   * a query parser can ignore them.
   */
  overlapping: TermMention[];
  /** Every token with what it turned out to be; connectives (and, or, not, …) are kept for a query parser. */
  tokens: MatchedToken[];
  /** Lower-cased content words that are neither part of a mention, stop words, connectives nor numbers. */
  unknownWords: string[];
}

export interface TermSuggestion {
  term: string;
  termClass: TermClass;
  /** The name or synonym that starts with (or has a word starting with) the prefix. */
  matched: string;
}

/** Words that carry logic for a query or a negation; never swallowed, never corrected as typos. */
export const CONNECTIVE_WORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'nor', 'no', 'without', 'but', 'versus', 'vs']);

/**
 * Words of CT reports that are one or two letters away from a vocabulary word but mean something else
 * ("extension" is not "expansion", "infarction" not "infection"); never corrected.
 */
export const PROTECTED_WORDS: ReadonlySet<string> = new Set([
  'extension',
  'extensions',
  'extending',
  'extend',
  'extends',
  'infarction',
  'infarctions',
  'infarct',
  'infarcts',
  'inflammation',
  'inflammatory',
  'injection',
  'insertion',
  'intention',
  'retention',
  'attention',
  'resection',
  'section',
  'sections',
  'detection',
  'lesional',
  'regional',
  'medial',
  'medially',
  'lateral',
  'laterally',
  'central',
  'centrally',
  'interval',
  'internal',
  'external',
  'partial',
  'partially',
]);

/** Side words may be separated from the rest of their term by position words: "left upper pole renal" → left kidney. */
const SIDE_WORDS: ReadonlySet<string> = new Set(['left', 'right']);
const POSITION_WORDS: ReadonlySet<string> = new Set([
  'upper',
  'lower',
  'mid',
  'middle',
  'pole',
  'anterior',
  'posterior',
  'lateral',
  'medial',
  'superior',
  'inferior',
  'central',
  'peripheral',
  'anterolateral',
  'posterolateral',
  'anteromedial',
  'posteromedial',
  'dorsal',
  'ventral',
  'proximal',
  'distal',
]);
const MAX_POSITION_WORDS = 3;
/** Articles may stand inside a phrase: "tail of the pancreas" is "tail of pancreas". */
const ARTICLES: ReadonlySet<string> = new Set(['the', 'a', 'an']);
/**
 * Prefixes that put a finding next to an organ: "juxtapleural", "perigastric", "subdiaphragmatic" name the
 * pleura, stomach, diaphragm. ("para-" is left out: "paratracheal" nodes are not in the trachea.)
 */
const LOCATIVE_PREFIXES = ['juxta', 'peri', 'sub', 'infra', 'supra'];

/** Function words and words that describe every finding; never reported as unknown, never corrected. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the this that these those there here is are was were be been being has have had it its of in on at to for from by into onto ' +
    'within along near over under than as about above below between beside adjacent per via each both either other ' +
    'with also seen noted identified present demonstrated visualized measuring measures measure size sized cm mm ' +
    'lesion lesions finding findings area areas region focus foci abnormality which who whose likely possibly possible probable ' +
    'probably may might could can cannot represent represents representing suspicious concerning compatible consistent ' +
    'excluded questionable suggest suggests suggestive favor favored'
  )
    .split(/\s+/)
    .filter(Boolean),
);

interface Phrase {
  words: string[];
  term: string;
  form: string;
  /** 0: the preferred name, 1: a synonym, 2: a generated variant; lower wins between equal spans. */
  rank: number;
}

interface Reading {
  word: string;
  /** Read through a typo correction or a locative prefix. */
  fuzzy: boolean;
  /** Tokens the reading covers: 2 when two hyphen-joined tokens read as one word ("para-aortic"). */
  span: number;
}

interface Candidate {
  phrase: Phrase;
  tokenStart: number;
  tokenEnd: number;
  fuzzy: boolean;
  /** Position words and articles passed over inside the phrase. */
  skipped: number;
}

export interface TermMatcherOptions {
  /** Words never corrected as typos (default PROTECTED_WORDS). */
  protectedWords?: Iterable<string>;
}

/** Most variants generated for one term (combinations of its components' synonyms). */
const MAX_VARIANTS_PER_TERM = 48;
/** Distinct fuzzy readings kept for one misspelled word (ties at the best distance). */
const MAX_FUZZY_READINGS = 3;

/**
 * Finds vocabulary terms in free text. Built once per vocabulary (an index from each word to the phrases
 * it starts, words bucketed by length for typo search); matching then costs a few map look-ups per word.
 */
export class TermMatcher {
  readonly terms: ReadonlyMap<string, VocabularyTerm>;
  private readonly phrasesByFirstWord = new Map<string, Phrase[]>();
  private readonly vocabularyWords = new Set<string>();
  private readonly wordsByLength = new Map<number, string[]>();
  private readonly wordFrequency = new Map<string, number>();
  private readonly fuzzyCache = new Map<string, Reading[]>();
  private readonly suggestionForms: { term: VocabularyTerm; form: string; words: string[] }[] = [];
  /** Single-word names and synonyms of body parts, which a locative prefix may precede. */
  private readonly bodyPartWords = new Set<string>();
  private readonly protectedWords: ReadonlySet<string>;

  constructor(vocabulary: readonly VocabularyTerm[], options: TermMatcherOptions = {}) {
    this.terms = new Map(vocabulary.map((t) => [t.name, t]));
    this.protectedWords = new Set(options.protectedWords ?? PROTECTED_WORDS);
    const forms: { term: string; form: string; rank: number }[] = [];
    for (const term of vocabulary) {
      forms.push({ term: term.name, form: term.name, rank: 0 });
      for (const synonym of term.synonyms) forms.push({ term: term.name, form: synonym, rank: 1 });
      this.suggestionForms.push(
        ...[term.name, ...term.synonyms].map((form) => ({ term, form: form.toLowerCase(), words: form.toLowerCase().split(/[\s-]+/) })),
      );
    }
    for (const term of vocabulary) {
      for (const variant of [...componentVariants(term, this.terms), ...ofVariants(term, this.terms)]) forms.push({ term: term.name, form: variant, rank: 2 });
    }

    // The raw words first: inflection look-ups go to the vocabulary's own words.
    const wordLists = forms.map(({ form }) => spellings(form));
    for (const list of wordLists) for (const words of list) for (const word of words) this.vocabularyWords.add(word);
    const byKey = new Map<string, Phrase>();
    forms.forEach(({ term, form, rank }, i) => {
      for (const raw of wordLists[i]) {
        const words = raw.map((w) => this.lemma(w));
        if (!words.length) continue;
        const key = words.join(' ');
        const existing = byKey.get(key);
        // One phrase, one term: a name beats a synonym, a synonym a variant, the first listed a later one.
        if (!existing || rank < existing.rank) byKey.set(key, { words, term, form, rank });
      }
    });
    for (const phrase of byKey.values()) {
      const list = this.phrasesByFirstWord.get(phrase.words[0]) ?? [];
      list.push(phrase);
      this.phrasesByFirstWord.set(phrase.words[0], list);
      for (const word of phrase.words) this.wordFrequency.set(word, (this.wordFrequency.get(word) ?? 0) + 1);
    }
    for (const list of this.phrasesByFirstWord.values()) list.sort((a, b) => b.words.length - a.words.length || a.rank - b.rank);
    for (const term of vocabulary) {
      if (term.termClass !== 'bodypart') continue;
      for (const form of [term.name, ...term.synonyms]) if (!/[\s-]/.test(form)) this.bodyPartWords.add(this.lemma(form.toLowerCase()));
    }
    for (const word of this.vocabularyWords) {
      const bucket = this.wordsByLength.get(word.length) ?? [];
      bucket.push(word);
      this.wordsByLength.set(word.length, bucket);
    }
  }

  /** Tokens with positions (words, numbers, punctuation); hyphens and slashes are kept in `gapBefore`. */
  tokenize(text: string): TextToken[] {
    return tokenize(text);
  }

  match(text: string): TermMatchResult {
    const tokens = tokenize(text);
    const readings = tokens.map((token, i) => this.readingsAt(tokens, i));
    const candidates: Candidate[] = [];
    for (let i = 0; i < tokens.length; i++) {
      if (!readings[i].length) continue;
      // Words readable shortly after this one: a phrase whose second word is not among them cannot match.
      const ahead = new Set<string>();
      for (let j = i + 1; j < Math.min(tokens.length, i + 3 + MAX_POSITION_WORDS); j++) for (const r of readings[j]) ahead.add(r.word);
      for (const first of readings[i]) {
        for (const phrase of this.phrasesByFirstWord.get(first.word) ?? []) {
          if (phrase.words.length > 1 && !ahead.has(phrase.words[1])) continue;
          const end = this.matchRest(phrase, tokens, readings, i + first.span, first.fuzzy);
          if (end) candidates.push({ phrase, tokenStart: i, ...end });
        }
      }
    }
    // Most words first; then fewer words passed over, an exact match before a fuzzy one, a name before a synonym, the earlier first.
    candidates.sort(
      (a, b) =>
        b.phrase.words.length - a.phrase.words.length ||
        a.skipped - b.skipped ||
        Number(a.fuzzy) - Number(b.fuzzy) ||
        a.phrase.rank - b.phrase.rank ||
        a.tokenStart - b.tokenStart,
    );
    const taken = new Array<boolean>(tokens.length).fill(false);
    const chosen: Candidate[] = [];
    const inside: Candidate[] = [];
    for (const candidate of candidates) {
      let free = true;
      for (let t = candidate.tokenStart; t < candidate.tokenEnd && free; t++) free = !taken[t];
      if (free) {
        chosen.push(candidate);
        for (let t = candidate.tokenStart; t < candidate.tokenEnd; t++) taken[t] = true;
      } else inside.push(candidate);
    }
    chosen.sort((a, b) => a.tokenStart - b.tokenStart);
    const mentions = chosen.map((c) => this.mention(c, tokens, text));
    const contains = (outer: Candidate, inner: Candidate) => outer.tokenStart <= inner.tokenStart && inner.tokenEnd <= outer.tokenEnd;
    const overlaps = (a: Candidate, b: Candidate) => a.tokenStart < b.tokenEnd && b.tokenStart < a.tokenEnd;
    // Part of a hyphenated word is not a mention of its own: "tracheal" in "pre-tracheal".
    const splitsWord = (c: Candidate) => isHyphenJoined(tokens[c.tokenStart]) || (tokens[c.tokenEnd] !== undefined && isHyphenJoined(tokens[c.tokenEnd]));
    const others = inside.filter(
      (c) => !splitsWord(c) && chosen.some((m) => overlaps(m, c)) && !chosen.some((m) => m.phrase.term === c.phrase.term && overlaps(m, c)),
    );
    // One per term and place: the longest ("lymph nodes", not also "nodes").
    const overlapping = others
      .filter(
        (c, i) =>
          !others.some(
            (o, j) => j !== i && o.phrase.term === c.phrase.term && contains(o, c) && (o.tokenEnd - o.tokenStart > c.tokenEnd - c.tokenStart || j < i),
          ),
      )
      .sort((a, b) => a.tokenStart - b.tokenStart || b.tokenEnd - a.tokenEnd)
      .map((c) => this.mention(c, tokens, text));

    const matched: MatchedToken[] = tokens.map((token) => ({ ...token, role: roleOf(token) }));
    mentions.forEach((m, index) => {
      for (let t = m.tokenStart; t < m.tokenEnd; t++) matched[t] = { ...matched[t], role: 'mention', mention: index };
    });
    const unknownWords = [...new Set(matched.filter((t) => t.role === 'unknown').map((t) => t.lower))];
    return { mentions, overlapping, tokens: matched, unknownWords };
  }

  /**
   * Type-ahead: terms whose name or a synonym starts with `prefix` come first, then those where a later word
   * of a name or synonym does; within each, shorter names first. One suggestion per term.
   */
  suggest(prefix: string, limit = 10): TermSuggestion[] {
    const wanted = prefix.trim().replace(/\s+/g, ' ').toLowerCase();
    if (!wanted || limit <= 0) return [];
    const best = new Map<string, { rank: number; form: string; term: VocabularyTerm }>();
    for (const { term, form, words } of this.suggestionForms) {
      const rank = form.startsWith(wanted) ? 0 : words.some((_, i) => i > 0 && words.slice(i).join(' ').startsWith(wanted)) ? 1 : -1;
      if (rank < 0) continue;
      const current = best.get(term.name);
      if (!current || rank < current.rank || (rank === current.rank && form.length < current.form.length)) best.set(term.name, { rank, form, term });
    }
    return [...best.values()]
      .sort((a, b) => a.rank - b.rank || a.term.name.length - b.term.name.length || a.term.name.localeCompare(b.term.name))
      .slice(0, limit)
      .map(({ term, form }) => ({ term: term.name, termClass: term.termClass, matched: form }));
  }

  /**
   * The vocabulary's singular of an inflected word ("nodules" → "nodule", "metastases" → "metastasis"),
   * else the word itself. The singular wins even when the plural is a vocabulary word too ("lymph nodes"),
   * so a plural in the text matches every phrase written with the singular.
   */
  lemma(word: string): string {
    if (word.length < 4) return word;
    for (const candidate of inflectionCandidates(word)) if (this.vocabularyWords.has(candidate)) return candidate;
    return word;
  }

  private readingsAt(tokens: TextToken[], i: number): Reading[] {
    const token = tokens[i];
    if (token.kind !== 'word') return [];
    const readings: Reading[] = [];
    const next = tokens[i + 1];
    if (next?.kind === 'word' && isHyphenJoined(next)) {
      const joined = this.lemma(token.lower + next.lower);
      if (this.vocabularyWords.has(joined)) readings.push({ word: joined, fuzzy: false, span: 2 });
    }
    const word = this.lemma(token.lower);
    if (this.vocabularyWords.has(word)) readings.push({ word, fuzzy: false, span: 1 });
    else if (!STOP_WORDS.has(token.lower) && !CONNECTIVE_WORDS.has(token.lower) && !this.protectedWords.has(token.lower)) {
      const organ = this.locativeReading(token.lower);
      readings.push(...(organ ? [organ] : this.fuzzyReadings(token.lower)));
    }
    return readings;
  }

  /** "juxtapleural" → pleural: a locative prefix before a body part's one-word name or synonym (of 5+ letters). */
  private locativeReading(word: string): Reading | null {
    for (const prefix of LOCATIVE_PREFIXES) {
      if (!word.startsWith(prefix) || word.length - prefix.length < 5) continue;
      const rest = this.lemma(word.slice(prefix.length));
      if (this.bodyPartWords.has(rest)) return { word: rest, fuzzy: true, span: 1 };
    }
    return null;
  }

  /** Vocabulary words within the typo allowance of `word` (see `typoAllowance`), best first. */
  private fuzzyReadings(word: string): Reading[] {
    const cached = this.fuzzyCache.get(word);
    if (cached) return cached;
    let found: { word: string; distance: number }[] = [];
    if (word.length >= 4) {
      const widest = typoAllowance(word.length + 2);
      for (let length = Math.max(1, word.length - widest); length <= word.length + widest; length++) {
        const limit = typoAllowance(Math.max(length, word.length));
        if (!limit) continue;
        for (const candidate of this.wordsByLength.get(length) ?? []) {
          // Typing errors seldom hit the first letter, and a changed first letter often flips the meaning
          // ("inhomogeneous" is not "homogeneous").
          if (candidate[0] !== word[0]) continue;
          const distance = editDistance(word, candidate, limit);
          if (distance <= limit) found.push({ word: candidate, distance });
        }
      }
      const best = Math.min(...found.map((f) => f.distance));
      found = found
        .filter((f) => f.distance === best)
        .sort((a, b) => (this.wordFrequency.get(b.word) ?? 0) - (this.wordFrequency.get(a.word) ?? 0) || a.word.localeCompare(b.word))
        .slice(0, MAX_FUZZY_READINGS);
    }
    const readings = found.map((f) => ({ word: f.word, fuzzy: true, span: 1 }));
    if (this.fuzzyCache.size > 10_000) this.fuzzyCache.clear();
    this.fuzzyCache.set(word, readings);
    return readings;
  }

  /** Matches the words after the first; returns where the phrase ends in the tokens, or null. */
  private matchRest(
    phrase: Phrase,
    tokens: TextToken[],
    readings: Reading[][],
    from: number,
    fuzzy: boolean,
  ): { tokenEnd: number; fuzzy: boolean; skipped: number } | null {
    let at = from;
    let anyFuzzy = fuzzy;
    let skipped = 0;
    const continues = (i: number) => tokens[i]?.kind === 'word' && continuesPhrase(tokens[i]);
    for (let k = 1; k < phrase.words.length; k++) {
      const wanted = phrase.words[k];
      if (k === 1 && SIDE_WORDS.has(phrase.words[0])) {
        for (let n = 0; n < MAX_POSITION_WORDS && continues(at) && POSITION_WORDS.has(tokens[at].lower) && !readings[at].some((r) => r.word === wanted); n++) {
          at++;
          skipped++;
        }
      }
      if (continues(at) && ARTICLES.has(tokens[at].lower) && !ARTICLES.has(wanted)) {
        at++;
        skipped++;
      }
      if (!continues(at)) return null;
      const reading = readings[at].find((r) => r.word === wanted);
      if (!reading) return null;
      anyFuzzy ||= reading.fuzzy;
      at += reading.span;
    }
    return { tokenEnd: at, fuzzy: anyFuzzy, skipped };
  }

  private mention(candidate: Candidate, tokens: TextToken[], text: string): TermMention {
    const start = tokens[candidate.tokenStart].start;
    const end = tokens[candidate.tokenEnd - 1].end;
    return {
      term: candidate.phrase.term,
      start,
      end,
      text: text.slice(start, end),
      fuzzy: candidate.fuzzy,
      form: candidate.phrase.form,
      tokenStart: candidate.tokenStart,
      tokenEnd: candidate.tokenEnd,
    };
  }
}

/**
 * Typos tolerated in a word of this length: none below 5 letters (too many short words are one letter
 * apart), 1 from 5, 2 from 9. The length is the longer of the written and the vocabulary word, so a
 * dropped letter in a 5-letter word ("livr") is still found.
 */
export function typoAllowance(length: number): number {
  return length >= 9 ? 2 : length >= 5 ? 1 : 0;
}

/** Singular forms to try for a plural or Latin/Greek plural, most likely first. */
function inflectionCandidates(word: string): string[] {
  const candidates: string[] = [];
  if (word.endsWith('s')) candidates.push(word.slice(0, -1));
  if (word.endsWith('es')) candidates.push(word.slice(0, -2));
  if (word.endsWith('ies')) candidates.push(`${word.slice(0, -3)}y`);
  if (word.endsWith('es')) candidates.push(`${word.slice(0, -2)}is`); // metastases → metastasis
  if (word.endsWith('i')) candidates.push(`${word.slice(0, -1)}us`); // calculi → calculus
  if (word.endsWith('ae')) candidates.push(word.slice(0, -1)); // vertebrae → vertebra
  if (word.endsWith('a')) candidates.push(`${word.slice(0, -1)}um`); // diverticula → diverticulum
  if (word.endsWith('ly')) candidates.push(word.slice(0, -2)); // heterogeneously → heterogeneous
  return candidates;
}

/** The word sequences a form can be written as: "wedge-shaped" as [wedge, shaped] and [wedgeshaped]. */
function spellings(form: string): string[][] {
  const tokens = tokenize(form.toLowerCase()).filter((t) => t.kind === 'word');
  const split = tokens.map((t) => t.lower);
  const joinedTokens: string[] = [];
  tokens.forEach((t, i) => {
    if (i > 0 && isHyphenJoined(t)) joinedTokens[joinedTokens.length - 1] += t.lower;
    else joinedTokens.push(t.lower);
  });
  return joinedTokens.length === split.length ? [split] : [split, joinedTokens];
}

/**
 * Other ways to write a compound term, from its components' synonyms: "mediastinum lymph node" is also
 * "mediastinal lymph node", "mediastinal node", …; "liver mass" is also "hepatic mass". A component is an
 * ancestor whose name appears word for word in the term's name. A body-part component may also be replaced
 * by a finding that is a kind of it ("lymphadenopathy" is a kind of "lymph node"): "mesenteric
 * lymphadenopathy" is a mesentery lymph node.
 */
function componentVariants(term: VocabularyTerm, byName: ReadonlyMap<string, VocabularyTerm>): string[] {
  const words = term.name.split(' ');
  if (words.length < 2) return [];
  const components = ancestorsOf(term.name, byName)
    .map((name) => byName.get(name)!)
    .filter((c) => c.synonyms.length || c.children.length)
    .map((c) => ({ component: c, at: indexOfWords(words, c.name.split(' ')) }))
    .filter((c) => c.at >= 0)
    // Longer components first, so "lymph node" is substituted as a whole rather than "node" alone.
    .sort((a, b) => b.component.name.length - a.component.name.length);
  let variants: string[][] = [words];
  const used = new Array<boolean>(words.length).fill(false);
  for (const { component, at } of components) {
    const length = component.name.split(' ').length;
    if (used.slice(at, at + length).some(Boolean)) continue;
    used.fill(true, at, at + length);
    const next: string[][] = [];
    const substitutes = [...component.synonyms, ...narrowerFindings(component, byName)];
    for (const variant of variants) {
      // Positions shift once a component is replaced by a synonym of another length: find it again.
      const position = indexOfWords(variant, component.name.split(' '));
      next.push(variant);
      if (position < 0) continue;
      for (const synonym of substitutes) next.push([...variant.slice(0, position), ...synonym.split(' '), ...variant.slice(position + length)]);
    }
    variants = next.slice(0, MAX_VARIANTS_PER_TERM);
  }
  return variants.slice(1).map((v) => v.join(' '));
}

/**
 * One-word names and synonyms of the type terms directly under a body part ("lymphadenopathy", "adenopathy"
 * under "lymph node"): single words, so that a finding in an organ ("renal cyst" under "kidney") is not
 * mistaken for the organ itself.
 */
function narrowerFindings(component: VocabularyTerm, byName: ReadonlyMap<string, VocabularyTerm>): string[] {
  if (component.termClass !== 'bodypart') return [];
  return component.children
    .map((name) => byName.get(name)!)
    .filter((child) => child.termClass === 'type')
    .flatMap((child) => [child.name, ...child.synonyms])
    .filter((form) => !/[\s-]/.test(form));
}

/**
 * "head of pancreas" for "pancreatic head": when a name starts with a form of one of its ancestors, the rest
 * "of" the ancestor's name is the same thing. Articles ("head of the pancreas") are passed over when matching.
 */
function ofVariants(term: VocabularyTerm, byName: ReadonlyMap<string, VocabularyTerm>): string[] {
  const words = term.name.split(' ');
  const variants: string[] = [];
  for (const ancestor of ancestorsOf(term.name, byName).map((name) => byName.get(name)!)) {
    for (const form of [ancestor.name, ...ancestor.synonyms]) {
      const part = form.split(' ');
      if (part.length < words.length && indexOfWords(words, part) === 0) variants.push([...words.slice(part.length), 'of', ancestor.name].join(' '));
    }
  }
  return variants;
}

function indexOfWords(words: string[], part: string[]): number {
  outer: for (let i = 0; i + part.length <= words.length; i++) {
    for (let k = 0; k < part.length; k++) if (words[i + k] !== part[k]) continue outer;
    return i;
  }
  return -1;
}

function roleOf(token: TextToken): TokenRole {
  if (token.kind === 'number') return 'number';
  if (token.kind === 'punct') return 'punct';
  if (CONNECTIVE_WORDS.has(token.lower)) return 'connective';
  if (STOP_WORDS.has(token.lower)) return 'stop';
  return 'unknown';
}
