import { ancestorsByTerm, checkVocabulary, closurePairs, descendantsByTerm, exclusivePairs, mergeVocabularies } from './ontology';
import { VocabularyTerm } from './vocabulary';

const term = (name: string, extra: Partial<VocabularyTerm> = {}): VocabularyTerm => ({ name, termClass: 'bodypart', synonyms: [], parents: [], children: [], exclusive: [], ...extra });

const VOCAB = [
  term('abdomen'),
  term('liver', { parents: ['abdomen'], synonyms: ['hepatic'] }),
  term('hepatic lobe', { parents: ['liver'] }),
  // Declared from the parent's side only: expansion must still see it.
  term('kidney', { children: ['renal cyst'], parents: ['abdomen'] }),
  term('renal cyst', { termClass: 'type', exclusive: ['solid'] }),
  term('solid', { termClass: 'attribute' }),
];

describe('ontology', () => {
  it('expands a term to itself and all its descendants, whichever side declared the link', () => {
    const d = descendantsByTerm(VOCAB);
    expect([...d.get('abdomen')!].sort()).toEqual(['abdomen', 'hepatic lobe', 'kidney', 'liver', 'renal cyst']);
    expect([...d.get('liver')!].sort()).toEqual(['hepatic lobe', 'liver']);
    expect([...d.get('solid')!]).toEqual(['solid']);
  });

  it('lists ancestors with their shortest depth', () => {
    expect([...ancestorsByTerm(VOCAB).get('hepatic lobe')!].sort()).toEqual(['abdomen', 'liver']);
    expect(closurePairs(VOCAB).find((p) => p.ancestor === 'abdomen' && p.descendant === 'hepatic lobe')!.depth).toBe(2);
  });

  it('makes exclusivity symmetric', () => {
    expect([...exclusivePairs(VOCAB).get('solid')!]).toEqual(['renal cyst']);
  });

  it('finds unresolved references, duplicates and cycles', () => {
    expect(checkVocabulary(VOCAB)).toEqual([]);
    const broken = [term('a', { parents: ['b'] }), term('b', { parents: ['c'] }), term('c', { parents: ['a'] }), term('d', { exclusive: ['nope'] }), term('d')];
    const messages = checkVocabulary(broken).map((p) => p.message);
    expect(messages).toContain('exclusive term "nope" is not a term');
    expect(messages).toContain('defined twice');
    expect(messages.some((m) => /cycle: (a → c → b → a|a → b → c → a)/.test(m))).toBe(true);
  });

  it('merges by name: keeps stored terms, adds synonyms and relations, takes the imported class', () => {
    const merged = mergeVocabularies(VOCAB, [term('liver', { termClass: 'bodypart', synonyms: ['hepatic', 'liver lesion', 'liver'], parents: ['upper abdomen'] }), term('upper abdomen', { parents: ['abdomen'] })]);
    const liver = merged.find((t) => t.name === 'liver')!;
    expect(liver.synonyms).toEqual(['hepatic', 'liver lesion']);
    expect(liver.parents).toEqual(['abdomen', 'upper abdomen']);
    expect(merged.map((t) => t.name)).toContain('renal cyst');
    expect(checkVocabulary(merged)).toEqual([]);
    // The stored vocabulary is not mutated.
    expect(VOCAB.find((t) => t.name === 'liver')!.parents).toEqual(['abdomen']);
  });
});
