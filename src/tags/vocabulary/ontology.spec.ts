import { ancestorsByTerm, closurePairs, descendantsByTerm, exclusivePairs, mergeVocabularies } from './ontology';
import { linkTerms, vocabularyProblems } from './vocabulary-links';
import { VocabularyTerm } from './vocabulary';

const term = (name: string, extra: Partial<VocabularyTerm> = {}): VocabularyTerm => ({
  name,
  termClass: 'bodypart',
  synonyms: [],
  parents: [],
  children: [],
  exclusive: [],
  ...extra,
});

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

  it('finds unresolved references, duplicates and cycles (the one validator, on the linked vocabulary)', () => {
    expect(vocabularyProblems(linkTerms(VOCAB).terms)).toEqual([]);
    const broken = [term('a', { parents: ['b'] }), term('b', { parents: ['c'] }), term('c', { parents: ['a'] }), term('d', { exclusive: ['nope'] }), term('d')];
    const problems = vocabularyProblems(broken);
    expect(problems).toContain('"d" lists exclusive term "nope", which is not a term');
    expect(problems).toContain('duplicate term "d"');
    expect(problems.some((m) => /cycle in the hierarchy: (a → c → b → a|a → b → c → a)/.test(m))).toBe(true);
  });

  it('merges by name: keeps stored terms, the imported definition replaces a stored one of the same name', () => {
    const merged = mergeVocabularies(VOCAB, [
      term('liver', { termClass: 'bodypart', synonyms: ['hepatic', 'liver lesion', 'liver'], parents: ['upper abdomen'] }),
      term('upper abdomen', { parents: ['abdomen'] }),
    ]);
    const liver = merged.terms.find((t) => t.name === 'liver')!;
    expect(liver.synonyms).toEqual(['hepatic', 'liver lesion']);
    expect(liver.parents).toEqual(['upper abdomen']);
    expect(merged.terms.map((t) => t.name)).toContain('renal cyst');
    expect(merged.conflicts).toEqual([]);
    expect(vocabularyProblems(linkTerms(merged.terms).terms)).toEqual([]);
    // The stored vocabulary is not mutated.
    expect(VOCAB.find((t) => t.name === 'liver')!.parents).toEqual(['abdomen']);
  });

  it('on merge the imported term wins every form it claims, and each conflict is reported', () => {
    const stored = [
      ...VOCAB,
      term('hypodense', { termClass: 'attribute', synonyms: ['low attenuation', 'hypoattenuating', 'dark'] }),
      term('cystic', { termClass: 'attribute', synonyms: ['fluid'], parents: ['hypodense'] }),
    ];
    const merged = mergeVocabularies(stored, [
      term('hypoattenuation', { termClass: 'attribute', synonyms: ['hypodense', 'low attenuation'] }),
      term('fluid', { termClass: 'type' }),
    ]);
    const byName = new Map(merged.terms.map((t) => [t.name, t]));
    // The stored term whose name was claimed is folded: its name is now the imported term's synonym.
    expect(byName.has('hypodense')).toBe(false);
    expect(byName.get('hypoattenuation')!.synonyms).toEqual(['hypodense', 'low attenuation']);
    expect(merged.folded).toEqual([{ from: 'hypodense', into: 'hypoattenuation' }]);
    // A synonym claimed by an imported name leaves the stored term; references follow the fold.
    expect(byName.get('cystic')!.synonyms).toEqual([]);
    expect(byName.get('cystic')!.parents).toEqual(['hypoattenuation']);
    expect(merged.conflicts).toEqual([
      { form: 'hypodense', importedTerm: 'hypoattenuation', storedTerm: 'hypodense', resolution: 'term-folded' },
      { form: 'low attenuation', importedTerm: 'hypoattenuation', storedTerm: 'hypodense', resolution: 'synonym-removed' },
      { form: 'fluid', importedTerm: 'fluid', storedTerm: 'cystic', resolution: 'synonym-removed' },
    ]);
    expect(merged.removed).toEqual([]);
    expect(vocabularyProblems(linkTerms(merged.terms).terms)).toEqual([]);
  });

  it('an imported name stays its own term even when another imported term lists it as a synonym', () => {
    const merged = mergeVocabularies([term('liver'), term('hepatic lobe')], [term('hepatic lobe', { synonyms: ['liver'] }), term('liver')]);
    expect(merged.folded).toEqual([]);
    expect(merged.terms.map((t) => t.name).sort()).toEqual(['hepatic lobe', 'liver']);
  });

  it('replace keeps only the imported terms, folding the claimed ones and listing the removed', () => {
    const merged = mergeVocabularies(VOCAB, [term('hepatic', { synonyms: ['liver'] }), term('kidney', { parents: ['hepatic'] })], 'replace');
    expect(merged.terms.map((t) => t.name).sort()).toEqual(['hepatic', 'kidney']);
    expect(merged.folded).toEqual([{ from: 'liver', into: 'hepatic' }]);
    expect(merged.removed.sort()).toEqual(['abdomen', 'hepatic lobe', 'renal cyst', 'solid']);
    expect(vocabularyProblems(linkTerms(merged.terms).terms)).toEqual([]);
  });
});
