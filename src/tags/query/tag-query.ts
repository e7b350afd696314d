/**
 * The tag query language: AND, OR, NOT and parentheses over terms, with free text in between.
 *
 *   liver AND (hypodense OR hyperdense) NOT cyst
 *   hypodense liver lesion not cyst            (implicit AND; "not", "no", "without" negate the next phrase)
 *   "lymph node" OR nodule                     (quotes keep a phrase together)
 *
 * Words between operators form a phrase; a resolver (the vocabulary's term matcher) turns each phrase
 * into terms and the words it did not know. Unknown words never vanish silently: they are returned
 * with the parsed query so the caller can show them. Pure: no database, no vocabulary state.
 */

export type TagQueryNode =
  { kind: 'term'; term: string } | { kind: 'and'; children: TagQueryNode[] } | { kind: 'or'; children: TagQueryNode[] } | { kind: 'not'; child: TagQueryNode };

export interface PhraseMatch {
  /** Terms found in the phrase (preferred names), in order of appearance. */
  terms: { term: string; text: string; fuzzy: boolean }[];
  /** Content words that are not part of any term. */
  unknownWords: string[];
}

export type PhraseResolver = (phrase: string) => PhraseMatch;

export interface ParsedTagQuery {
  /** Null when no known term was found at all. */
  root: TagQueryNode | null;
  unknownWords: string[];
  /** Words the resolver matched only approximately: "livr" → "liver". */
  corrections: { text: string; term: string }[];
}

export class TagQuerySyntaxError extends Error {}

export const MAX_QUERY_LENGTH = 1000;
const MAX_DEPTH = 32;

type Token = { type: 'and' | 'or' | 'not' | 'open' | 'close' } | { type: 'word'; text: string; quoted: boolean };

const OPERATOR_WORDS: Record<string, 'and' | 'or' | 'not'> = {
  and: 'and',
  or: 'or',
  not: 'not',
  no: 'not',
  without: 'not',
  except: 'not',
  excluding: 'not',
};

/** Splits a query into operators, parentheses, quoted phrases and words. */
export function tokenizeTagQuery(input: string): Token[] {
  if (input.length > MAX_QUERY_LENGTH) throw new TagQuerySyntaxError(`The query is longer than ${MAX_QUERY_LENGTH} characters`);
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s|,|;/.test(c)) {
      i++;
    } else if (c === '(') {
      tokens.push({ type: 'open' });
      i++;
    } else if (c === ')') {
      tokens.push({ type: 'close' });
      i++;
    } else if (c === '"') {
      const end = input.indexOf('"', i + 1);
      if (end < 0) throw new TagQuerySyntaxError('A quoted phrase is not closed (missing ")');
      const text = input.slice(i + 1, end).trim();
      if (text) tokens.push({ type: 'word', text, quoted: true });
      i = end + 1;
    } else if (input.startsWith('&&', i) || input.startsWith('||', i)) {
      tokens.push({ type: input[i] === '&' ? 'and' : 'or' });
      i += 2;
    } else if (c === '&' || c === '|') {
      tokens.push({ type: c === '&' ? 'and' : 'or' });
      i++;
    } else if (c === '!' || (c === '-' && (i === 0 || /[\s(]/.test(input[i - 1])))) {
      // "-cyst" and "!cyst" negate, as in search engines; a hyphen inside a word does not.
      tokens.push({ type: 'not' });
      i++;
    } else {
      let j = i;
      while (j < input.length && !/[\s(),;"&|!]/.test(input[j])) j++;
      const text = input.slice(i, j);
      const operator = OPERATOR_WORDS[text.toLowerCase()];
      tokens.push(operator ? { type: operator } : { type: 'word', text, quoted: false });
      i = j;
    }
  }
  return tokens;
}

/** Parses a query; a phrase that resolves to no term is dropped and its words reported as unknown. */
export function parseTagQuery(input: string, resolve: PhraseResolver): ParsedTagQuery {
  const tokens = tokenizeTagQuery(input);
  const unknownWords: string[] = [];
  const corrections: { text: string; term: string }[] = [];
  let position = 0;
  const peek = () => tokens[position];

  const parseOr = (depth: number): TagQueryNode | null => {
    if (depth > MAX_DEPTH) throw new TagQuerySyntaxError(`Parentheses nest deeper than ${MAX_DEPTH}`);
    const children: TagQueryNode[] = [];
    let sawOperand = false;
    for (;;) {
      const before = position;
      const operand = parseAnd(depth);
      if (position === before) throw new TagQuerySyntaxError('OR needs a term on both sides');
      sawOperand = true;
      if (operand) children.push(operand);
      if (peek()?.type !== 'or') break;
      position++;
    }
    if (!sawOperand) return null;
    return children.length === 0 ? null : children.length === 1 ? children[0] : { kind: 'or', children };
  };

  const parseAnd = (depth: number): TagQueryNode | null => {
    const children: TagQueryNode[] = [];
    for (;;) {
      const token = peek();
      if (!token || token.type === 'or' || token.type === 'close') break;
      if (token.type === 'and') {
        position++;
        const next = peek();
        if (!next || next.type === 'or' || next.type === 'close' || next.type === 'and') throw new TagQuerySyntaxError('AND needs a term on both sides');
        continue;
      }
      const operand = parseUnary(depth);
      if (operand) children.push(...(operand.kind === 'and' ? operand.children : [operand]));
    }
    return children.length === 0 ? null : children.length === 1 ? children[0] : { kind: 'and', children };
  };

  const parseUnary = (depth: number): TagQueryNode | null => {
    const token = peek();
    if (!token) throw new TagQuerySyntaxError('The query ends where a term was expected');
    if (token.type === 'not') {
      position++;
      const next = peek();
      if (!next || next.type === 'and' || next.type === 'or' || next.type === 'close') throw new TagQuerySyntaxError('NOT needs a term after it');
      // "not" takes the next phrase or parenthesis: "not enlarged lymph node" = NOT (enlarged AND lymph node).
      const child = parseUnary(depth);
      return child ? (child.kind === 'not' ? child.child : { kind: 'not', child }) : null;
    }
    if (token.type === 'open') {
      position++;
      if (peek()?.type === 'close') throw new TagQuerySyntaxError('Empty parentheses');
      const inner = parseOr(depth + 1);
      if (peek()?.type !== 'close') throw new TagQuerySyntaxError('A parenthesis is not closed');
      position++;
      return inner;
    }
    if (token.type === 'close') throw new TagQuerySyntaxError('A closing parenthesis has no opening one');
    if (token.type !== 'word') throw new TagQuerySyntaxError('Unexpected operator');
    // A phrase: consecutive words (a quoted phrase stays on its own).
    const words: string[] = [];
    if (token.quoted) {
      words.push(token.text);
      position++;
    } else {
      while (peek()?.type === 'word' && !(peek() as { quoted: boolean }).quoted) {
        words.push((peek() as { text: string }).text);
        position++;
      }
    }
    const match = resolve(words.join(' '));
    unknownWords.push(...match.unknownWords);
    for (const t of match.terms) if (t.fuzzy) corrections.push({ text: t.text, term: t.term });
    const terms = dedupe(match.terms.map((t) => t.term));
    if (!terms.length) return null;
    return terms.length === 1 ? { kind: 'term', term: terms[0] } : { kind: 'and', children: terms.map((term) => ({ kind: 'term', term })) };
  };

  if (!tokens.length) return { root: null, unknownWords, corrections };
  const root = parseOr(0);
  if (position < tokens.length)
    throw new TagQuerySyntaxError(peek()!.type === 'close' ? 'A closing parenthesis has no opening one' : 'Unexpected text after the query');
  return { root: root ? simplify(root) : null, unknownWords: dedupe(unknownWords), corrections };
}

/** Flattens nested AND/OR and removes duplicate children, so equal queries compile alike. */
export function simplify(node: TagQueryNode): TagQueryNode {
  if (node.kind === 'term') return node;
  if (node.kind === 'not') {
    const child = simplify(node.child);
    return child.kind === 'not' ? child.child : { kind: 'not', child };
  }
  const flat: TagQueryNode[] = [];
  for (const child of node.children.map(simplify)) {
    if (child.kind === node.kind) flat.push(...(child as { children: TagQueryNode[] }).children);
    else flat.push(child);
  }
  const seen = new Set<string>();
  const children = flat.filter((c) => {
    const key = formatTagQuery(c);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return children.length === 1 ? children[0] : { kind: node.kind, children };
}

/** The canonical text of a parsed query: what the service understood, shown back to the user. */
export function formatTagQuery(node: TagQueryNode): string {
  switch (node.kind) {
    case 'term':
      return /\s/.test(node.term) ? `"${node.term}"` : node.term;
    case 'not':
      return `NOT ${node.child.kind === 'term' || node.child.kind === 'not' ? formatTagQuery(node.child) : `(${formatTagQuery(node.child)})`}`;
    case 'and':
      return node.children.map((c) => (c.kind === 'or' ? `(${formatTagQuery(c)})` : formatTagQuery(c))).join(' AND ');
    case 'or':
      return node.children.map((c) => (c.kind === 'and' ? `(${formatTagQuery(c)})` : formatTagQuery(c))).join(' OR ');
  }
}

/** Every term a query names, positive or negated. */
export function queryTerms(node: TagQueryNode): string[] {
  switch (node.kind) {
    case 'term':
      return [node.term];
    case 'not':
      return queryTerms(node.child);
    default:
      return dedupe(node.children.flatMap(queryTerms));
  }
}

function dedupe<T>(items: T[]): T[] {
  return [...new Set(items)];
}
