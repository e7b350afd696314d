import fc from 'fast-check';
import { MAX_QUERY_LENGTH, parseTagQuery, PhraseResolver, TagQueryNode, TagQuerySyntaxError } from './tag-query';

// Property tests (fast-check) with a fixed seed: the same cases on every run; a failure prints its counterexample.
const RUNS = { seed: 4242, numRuns: 500 };

const KNOWN = new Set(['liver', 'lung', 'cyst', 'nodule', 'hypodense', 'lymph node']);
/** Every known word is a term; anything else is an unknown word (the vocabulary's matcher does the same, with more terms). */
const resolve: PhraseResolver = (phrase) => {
  const words = phrase.toLowerCase().split(/\s+/).filter(Boolean);
  if (KNOWN.has(phrase.toLowerCase())) return { terms: [{ term: phrase.toLowerCase(), text: phrase, fuzzy: false }], unknownWords: [] };
  return {
    terms: words.filter((w) => KNOWN.has(w)).map((w) => ({ term: w, text: w, fuzzy: false })),
    unknownWords: words.filter((w) => !KNOWN.has(w)),
  };
};

/** Query text from the language's own pieces, so that operators, parentheses and quotes meet in every order. */
const queryText = fc
  .array(
    fc.constantFrom(
      'liver',
      'lung',
      'cyst',
      '"lymph node"',
      'mass',
      'AND',
      'and',
      'OR',
      'or',
      'NOT',
      'not',
      'no',
      'without',
      '(',
      ')',
      '"',
      '&&',
      '||',
      '&',
      '|',
      '!',
      '-',
      ',',
      ';',
      ' ',
      'é',
      '\u0000',
      '\t',
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(' '));

function checkTree(node: TagQueryNode, depth = 0): void {
  expect(depth).toBeLessThan(200);
  switch (node.kind) {
    case 'term':
      expect(KNOWN.has(node.term)).toBe(true);
      break;
    case 'not':
      checkTree(node.child, depth + 1);
      break;
    case 'and':
    case 'or':
      expect(node.children.length).toBeGreaterThan(0);
      node.children.forEach((c) => checkTree(c, depth + 1));
      break;
    default:
      throw new Error(`unknown node ${JSON.stringify(node)}`);
  }
}

/** A parse tree of known terms, or a TagQuerySyntaxError (the service's 400); never another throw. */
function parseOrRefuse(text: string): void {
  try {
    const parsed = parseTagQuery(text, resolve);
    if (parsed.root) checkTree(parsed.root);
    expect(Array.isArray(parsed.unknownWords)).toBe(true);
  } catch (error) {
    if (!(error instanceof TagQuerySyntaxError))
      throw new Error(`not a TagQuerySyntaxError: ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
}

describe('parseTagQuery (property)', () => {
  it('queries made of operators, parentheses, quotes and words: a tree of known terms or a syntax error', () => {
    fc.assert(fc.property(queryText, parseOrRefuse), RUNS);
  });

  it('arbitrary text up to and past the length limit: a tree or a syntax error', () => {
    fc.assert(fc.property(fc.string({ maxLength: MAX_QUERY_LENGTH + 50 }), parseOrRefuse), RUNS);
  });

  it('deep nesting of parentheses and negations is refused as a syntax error, not a stack overflow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 480 }), fc.constantFrom('(', 'not (', '!(', '-(', 'not '), (depth, open) => {
        const text = `${open.repeat(depth)}liver${open.includes('(') ? ')'.repeat(depth) : ''}`.slice(0, MAX_QUERY_LENGTH);
        parseOrRefuse(text);
      }),
      { ...RUNS, numRuns: 100 },
    );
  });

  it('a term alone, or terms joined by OR, parse to exactly those terms (repeats merged, first appearance kept)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('liver', 'lung', 'cyst', 'nodule'), { minLength: 1, maxLength: 6 }), (terms) => {
        const parsed = parseTagQuery(terms.join(' OR '), resolve);
        const leaves: string[] = [];
        const walk = (n: TagQueryNode): void => (n.kind === 'term' ? void leaves.push(n.term) : n.kind === 'not' ? walk(n.child) : n.children.forEach(walk));
        walk(parsed.root!);
        expect(leaves).toEqual([...new Set(terms)]);
      }),
      RUNS,
    );
  });
});
