import { DEFAULT_VOCABULARY } from '../vocabulary/default-vocabulary';
import { mineReport, MinedStatus } from './report-mining';
import { TermMatcher } from './term-matcher';
import { VocabularyTerm } from '../vocabulary/vocabulary';
import { linkTerms } from '../vocabulary/vocabulary-links';

const matcher = new TermMatcher(DEFAULT_VOCABULARY);
const statuses = (text: string) => Object.fromEntries(mineReport(text, matcher).terms.map((t) => [t.term, t.status]));
const written = (text: string) =>
  Object.fromEntries(
    mineReport(text, matcher)
      .terms.filter((t) => t.source === 'mention')
      .map((t) => [t.term, t.status]),
  );

describe('mineReport: negation and uncertainty', () => {
  it('negates after "no"', () => {
    expect(written('no calcification')).toEqual({ calcified: 'negated' });
  });

  it('qualifies an attribute, not the noun it modifies, after "possibly"', () => {
    expect(written('possibly necrotic mass')).toEqual({ necrotic: 'uncertain', mass: 'positive' });
    // A noun right after the trigger is uncertain itself.
    expect(written('hypodense lesion, likely a cyst')).toEqual({ hypodense: 'positive', cyst: 'uncertain' });
  });

  it('ends a negation at "but"', () => {
    expect(written('mass without calcification but with enhancement')).toEqual({ mass: 'positive', calcified: 'negated', enhancing: 'positive' });
  });

  it('ends scopes at sentence punctuation and after a few words', () => {
    expect(written('no cyst; solid mass')).toEqual({ cyst: 'negated', solid: 'positive', mass: 'positive' });
    // Six words reach: "large" (4th) and "calcified" (6th) are negated, "necrotic" and "mass" are too far.
    expect(written('no evidence of the previously described large partially calcified necrotic mass')).toEqual({
      large: 'negated',
      calcified: 'negated',
      necrotic: 'positive',
      mass: 'positive',
    });
  });

  it('reads triggers written after the finding', () => {
    // "pleura" is read inside "pleural effusion" and shares its status.
    expect(written('the pleural effusion has resolved')).toEqual({ 'pleural effusion': 'negated', pleura: 'negated' });
    expect(written('metastasis cannot be excluded')).toEqual({ metastasis: 'uncertain' });
    expect(written('hemangioma versus metastasis')).toEqual({ hemangioma: 'uncertain', metastasis: 'uncertain' });
    expect(written('liver cyst?')).toMatchObject({ cyst: 'uncertain' });
    expect(written('? liver cyst')).toMatchObject({ cyst: 'uncertain' });
  });

  it('ignores pseudo-triggers and the "not" of a term', () => {
    expect(written('no change in the hypodense liver mass')).toEqual({ hypodense: 'positive', 'liver mass': 'positive', liver: 'positive', mass: 'positive' });
    expect(written('nodule, not calcified')).toEqual({ nodule: 'positive', noncalcified: 'positive' });
  });
});

describe('mineReport: ancestors, compounds, exclusivity, confidence', () => {
  it('adds the ancestors of positive and uncertain terms but not of negated ones', () => {
    const s = statuses('right upper lobe nodule without pleural effusion');
    expect(s).toMatchObject({ 'right upper lobe': 'positive', 'right lung': 'positive', lung: 'positive', chest: 'positive', 'pleural effusion': 'negated' });
    // The negated effusion implies nothing about its ancestors; the pleura written inside it is negated with it.
    expect(s.pleura).toBe('negated');
    expect(statuses('possible mediastinal lymph node')).toMatchObject({
      'mediastinal lymph node': 'uncertain',
      'lymph node': 'uncertain',
      mediastinum: 'uncertain',
    });
  });

  it('keeps the strongest status of a term found twice', () => {
    expect(statuses('no lung nodule; right upper lobe mass')).toMatchObject({ 'lung nodule': 'negated', lung: 'positive', mass: 'positive' });
  });

  it('infers a compound term from its written components', () => {
    const mined = mineReport('hepatic hypodense mass', matcher).terms;
    expect(mined.find((t) => t.term === 'liver mass')).toMatchObject({ status: 'positive', source: 'compound', confidence: 0.85 });
    expect(mineReport('right upper lobe nodule', matcher).terms.find((t) => t.term === 'lung nodule')).toBeUndefined();
  });

  it('keeps the exclusive attribute nearer the head noun, the later one at equal distance', () => {
    const report = mineReport('hyperdense rim around a hypodense mass', matcher);
    expect(report.conflicts).toEqual([{ kept: 'hypodense', dropped: 'hyperdense' }]);
    expect(report.terms.map((t) => t.term)).not.toContain('hyperdense');
    // The head noun, not the end of the text, decides: "hypodense" stands next to "mass".
    expect(mineReport('hypodense mass with a hyperdense rim', matcher).conflicts).toEqual([{ kept: 'hypodense', dropped: 'hyperdense' }]);
    expect(mineReport('hypodense hyperdense', matcher).conflicts).toEqual([{ kept: 'hyperdense', dropped: 'hypodense' }]);
    // Body parts are not resolved: a lesion can touch two organs.
    expect(mineReport('mass between the liver and the right kidney', matcher).conflicts).toEqual([]);
  });

  it('gives lower confidence to typos and uncertain terms', () => {
    const confidence = (text: string, term: string) => mineReport(text, matcher).terms.find((t) => t.term === term)?.confidence;
    expect(confidence('liver mass', 'liver mass')).toBe(0.9);
    expect(confidence('livr mass', 'liver')).toBe(0.75);
    expect(confidence('possible liver mass', 'liver mass')).toBe(0.5);
    expect(confidence('no liver mass', 'liver mass')).toBe(0.05);
    expect(confidence('right upper lobe nodule', 'lung')).toBe(0.9);
  });

  it('takes the vocabulary as a list too', () => {
    expect(mineReport('no calcification', matcher, DEFAULT_VOCABULARY).terms).toEqual(mineReport('no calcification', matcher).terms);
  });

  it('records where a term was written', () => {
    const mass = mineReport('large liver mass', matcher).terms.find((t) => t.term === 'liver mass')!;
    expect(mass.evidence).toEqual([{ start: 6, end: 16, text: 'liver mass' }]);
  });
});

describe('mineReport on a small vocabulary', () => {
  const term = (
    name: string,
    termClass: VocabularyTerm['termClass'],
    synonyms: string[] = [],
    parents: string[] = [],
    exclusive: string[] = [],
  ): VocabularyTerm => ({
    name,
    termClass,
    synonyms,
    parents,
    children: [],
    exclusive,
  });
  const { terms } = linkTerms([
    term('neck', 'bodypart', [], [], ['abdomen']),
    term('abdomen', 'bodypart', ['abdominal']),
    term('pancreas', 'bodypart', ['pancreatic'], ['abdomen']),
    term('pancreatic neck', 'bodypart', [], ['pancreas']),
    term('lymph node', 'bodypart', ['node']),
    term('lymphadenopathy', 'type', ['adenopathy'], ['lymph node']),
    term('mesentery', 'bodypart', ['mesenteric'], ['abdomen']),
    term('mesentery lymph node', 'bodypart', [], ['mesentery', 'lymph node']),
  ]);
  const small = new TermMatcher(terms);
  const found = (text: string, status: MinedStatus = 'positive') =>
    mineReport(text, small)
      .terms.filter((t) => t.status === status)
      .map((t) => t.term)
      .sort();

  it('does not take a term out of a location phrase it excludes ("neck" of the pancreas)', () => {
    expect(found('lesion in the neck of the pancreas')).toEqual(['abdomen', 'pancreas', 'pancreatic neck']);
  });

  it("reads a station written with a finding as the station's lymph node", () => {
    expect(found('mesenteric adenopathy')).toEqual(['abdomen', 'lymph node', 'lymphadenopathy', 'mesentery', 'mesentery lymph node']);
  });
});
