import { formatTagQuery, parseTagQuery, PhraseMatch, queryTerms, TagQuerySyntaxError, tokenizeTagQuery } from './tag-query';

/** A stand-in for the vocabulary matcher: known words are terms, "livr" is a typo of liver. */
const KNOWN = new Set(['liver', 'cyst', 'hypodense', 'lung', 'nodule', 'mass', 'calcified', 'mediastinum']);
const STOP = new Set(['lesion', 'lesions', 'the', 'with']);
function resolve(phrase: string): PhraseMatch {
  const terms: PhraseMatch['terms'] = [];
  const unknownWords: string[] = [];
  const words = phrase.toLowerCase().split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === 'lymph' && words[i + 1] === 'node') {
      terms.push({ term: 'lymph node', text: 'lymph node', fuzzy: false });
      i++;
    } else if (KNOWN.has(w)) terms.push({ term: w, text: w, fuzzy: false });
    else if (w === 'livr') terms.push({ term: 'liver', text: w, fuzzy: true });
    else if (!STOP.has(w)) unknownWords.push(w);
  }
  return { terms, unknownWords };
}

const understood = (q: string) => {
  const parsed = parseTagQuery(q, resolve);
  return parsed.root ? formatTagQuery(parsed.root) : null;
};

describe('parseTagQuery', () => {
  it('reads free text as an AND of its terms, with "not" negating the next phrase', () => {
    expect(understood('hypodense liver lesion not cyst')).toBe('hypodense AND liver AND NOT cyst');
  });

  it('gives AND precedence over OR, and parentheses override it', () => {
    expect(understood('liver AND cyst OR lung')).toBe('(liver AND cyst) OR lung');
    expect(understood('liver AND (cyst OR lung)')).toBe('liver AND (cyst OR lung)');
  });

  it('accepts symbolic operators and a leading minus', () => {
    expect(understood('liver && !cyst')).toBe('liver AND NOT cyst');
    expect(understood('liver -cyst')).toBe('liver AND NOT cyst');
    expect(understood('liver | lung')).toBe('liver OR lung');
  });

  it('keeps hyphenated words whole (a hyphen inside a word is not NOT)', () => {
    const tokens = tokenizeTagQuery('wedge-shaped opacity');
    expect(tokens).toEqual([
      { type: 'word', text: 'wedge-shaped', quoted: false },
      { type: 'word', text: 'opacity', quoted: false },
    ]);
  });

  it('negates a whole phrase and a parenthesised group', () => {
    expect(understood('not calcified nodule')).toBe('NOT (calcified AND nodule)');
    expect(understood('lung NOT (mass OR nodule)')).toBe('lung AND NOT (mass OR nodule)');
    expect(understood('NOT NOT liver')).toBe('liver');
  });

  it('reports unknown words and corrections instead of dropping them silently', () => {
    const parsed = parseTagQuery('livr lesion xyzzy', resolve);
    expect(formatTagQuery(parsed.root!)).toBe('liver');
    expect(parsed.unknownWords).toEqual(['xyzzy']);
    expect(parsed.corrections).toEqual([{ text: 'livr', term: 'liver' }]);
  });

  it('returns no root when nothing is known, and drops a NOT of unknown words', () => {
    expect(parseTagQuery('xyzzy', resolve).root).toBeNull();
    const parsed = parseTagQuery('liver not xyzzy', resolve);
    expect(formatTagQuery(parsed.root!)).toBe('liver');
    expect(parsed.unknownWords).toEqual(['xyzzy']);
  });

  it('quotes multi-word terms in the canonical form and lists every term', () => {
    const parsed = parseTagQuery('"lymph node" OR (mediastinum AND NOT mass)', resolve);
    expect(formatTagQuery(parsed.root!)).toBe('"lymph node" OR (mediastinum AND NOT mass)');
    expect(queryTerms(parsed.root!)).toEqual(['lymph node', 'mediastinum', 'mass']);
  });

  it('flattens and de-duplicates equal branches', () => {
    expect(understood('liver AND (liver AND cyst)')).toBe('liver AND cyst');
    expect(understood('(lung OR lung)')).toBe('lung');
  });

  it.each([
    ['liver AND', 'AND needs a term on both sides'],
    ['OR liver', 'OR needs a term on both sides'],
    ['(liver', 'A parenthesis is not closed'],
    ['liver)', 'A closing parenthesis has no opening one'],
    ['()', 'Empty parentheses'],
    ['liver NOT', 'NOT needs a term after it'],
    ['"liver', 'A quoted phrase is not closed (missing ")'],
  ])('refuses %j with a clear message', (query, message) => {
    expect(() => parseTagQuery(query, resolve)).toThrow(new TagQuerySyntaxError(message));
  });

  it('refuses overlong queries and absurd nesting', () => {
    expect(() => parseTagQuery('liver '.repeat(300), resolve)).toThrow(TagQuerySyntaxError);
    expect(() => parseTagQuery('('.repeat(40) + 'liver' + ')'.repeat(40), resolve)).toThrow(/nest deeper/);
  });
});
