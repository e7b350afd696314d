import { COARSE_TYPE_TERMS, DEFAULT_VOCABULARY } from './default-vocabulary';
import { ancestorsOf, linkTerms, vocabularyProblems } from './vocabulary-links';
import { VocabularyTerm } from './vocabulary';

const byName = new Map(DEFAULT_VOCABULARY.map((t) => [t.name, t]));

describe('DEFAULT_VOCABULARY', () => {
  it('is sound: references resolve, links hold both ways, no cycles, no form used twice', () => {
    expect(vocabularyProblems(DEFAULT_VOCABULARY)).toEqual([]);
  });

  it('has the three classes and synonyms in lower case', () => {
    const classes = new Set(DEFAULT_VOCABULARY.map((t) => t.termClass));
    expect([...classes].sort()).toEqual(['attribute', 'bodypart', 'type']);
    for (const term of DEFAULT_VOCABULARY) {
      for (const synonym of term.synonyms) expect(synonym).toBe(synonym.trim().toLowerCase());
      expect(term.synonyms).not.toContain(term.name);
    }
  });

  it('maps the eight DeepLesion coarse types to body-part terms', () => {
    expect(Object.keys(COARSE_TYPE_TERMS).map(Number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const name of Object.values(COARSE_TYPE_TERMS)) expect(byName.get(name)?.termClass).toBe('bodypart');
  });

  it('places lobes, sides and stations under their organs', () => {
    expect(ancestorsOf('right upper lobe', byName)).toEqual(['right lung', 'lung', 'chest']);
    expect(ancestorsOf('subcarinal lymph node', byName)).toEqual(expect.arrayContaining(['mediastinal lymph node', 'lymph node', 'mediastinum', 'chest']));
    expect(byName.get('lung')!.children).toEqual(expect.arrayContaining(['right lung', 'left lung', 'lung nodule']));
    expect(ancestorsOf('lymphadenopathy', byName)).toEqual(expect.arrayContaining(['lymph node', 'enlarged']));
  });

  it('makes exclusivity mutual', () => {
    expect(byName.get('hyperdense')!.exclusive).toContain('hypodense');
    expect(byName.get('hypodense')!.exclusive).toContain('hyperdense');
    expect(byName.get('solid')!.exclusive).toContain('cyst');
    expect(byName.get('left lung')!.exclusive).toContain('right lung');
  });
});

describe('vocabularyProblems', () => {
  const term = (name: string, parents: string[] = [], extra: Partial<VocabularyTerm> = {}): VocabularyTerm => ({
    name,
    termClass: 'bodypart',
    synonyms: [],
    parents,
    children: [],
    exclusive: [],
    ...extra,
  });

  it('finds cycles, one-way links, unknown references, shared synonyms and exclusive ancestors', () => {
    const problems = vocabularyProblems([
      term('a', ['b'], { synonyms: ['x'], children: ['b'] }),
      term('b', ['a'], { children: ['a'] }),
      term('c', ['a', 'zzz'], { synonyms: ['x'], exclusive: ['a'] }),
    ]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^cycle in the hierarchy: /),
        '"a" is a parent of "c" but does not list it as a child',
        '"c" lists parent "zzz", which is not a term',
        '"x" is a synonym of "c" and also names or is a synonym of "a"',
        '"c" excludes "a" but not the other way round',
        '"c" excludes its own ancestor "a"',
      ]),
    );
  });

  it('linkTerms repairs one-way links and reports what it drops', () => {
    const { terms, warnings } = linkTerms([term('a'), term('b', ['a', 'b', 'nope'], { exclusive: ['c'] }), term('c')]);
    expect(terms.find((t) => t.name === 'a')!.children).toEqual(['b']);
    expect(terms.find((t) => t.name === 'c')!.exclusive).toEqual(['b']);
    expect(warnings).toEqual(['"b" lists itself as parent; dropped', '"b" lists parent "nope", which is not a term; dropped']);
  });

  it('linkTerms drops a term excluding its own ancestor', () => {
    const { terms, warnings } = linkTerms([term('a', [], { exclusive: ['c'] }), term('b', ['a']), term('c', ['b'])]);
    expect(terms.map((t) => t.exclusive)).toEqual([[], [], []]);
    expect(warnings).toEqual(['"c" lists its own ancestor "a" as exclusive; dropped']);
  });
});
