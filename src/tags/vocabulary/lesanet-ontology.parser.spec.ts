import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLesanetOntology, splitMultiValue } from './lesanet-ontology.parser';
import { vocabularyProblems } from './vocabulary-links';
import { readXlsxRows } from './xlsx';

const LESANET_DIR = path.resolve(__dirname, '../../../../shared/data/lesanet');
const HEADER = ['id', 'class', 'term', 'synonyms', 'num_detected', 'term_exclusive', 'term_parents', 'term_children'];

describe('parseLesanetOntology', () => {
  it('normalises names and synonyms, and links parents, children and exclusive terms both ways', () => {
    const { terms, errors, warnings } = parseLesanetOntology([
      HEADER,
      ['1', 'bodypart', ' Abdomen ', 'abdomen | Abdominal | abdominal', '9', '', '', 'liver'],
      ['2', 'bodypart', 'Liver', 'liver | hepatic |  Hepatic  Lobe ', '5', 'spleen', 'abdomen | nowhere', ''],
      ['3', 'bodypart', 'spleen', 'splenic | liver', '4', '', 'abdomen', ''],
    ]);
    expect(errors).toEqual([]);
    expect(terms.map((t) => t.name)).toEqual(['abdomen', 'liver', 'spleen']);
    const [abdomen, liver, spleen] = terms;
    expect(abdomen.synonyms).toEqual(['abdominal']);
    expect(liver.synonyms).toEqual(['hepatic', 'hepatic lobe']);
    expect(liver.parents).toEqual(['abdomen']);
    expect(abdomen.children).toEqual(['liver', 'spleen']);
    expect(spleen.exclusive).toEqual(['liver']);
    expect(spleen.synonyms).toEqual(['splenic']);
    expect(warnings).toEqual([
      'row 3: "liver" lists parent "nowhere", which is not a term; dropped',
      'row 4: synonym "liver" of "spleen" is the name of another term; dropped',
    ]);
    expect(vocabularyProblems(terms)).toEqual([]);
  });

  it('reports bad rows with their row numbers and keeps the others', () => {
    const { terms, errors } = parseLesanetOntology([
      HEADER,
      ['1', 'type', 'mass', '', '', '', '', ''],
      ['2', 'organ', 'liver', '', '', '', '', ''],
      [],
      ['3', 'type', '  ', '', '', '', '', ''],
      ['4', 'Type', 'MASS', '', '', '', '', ''],
    ]);
    expect(terms.map((t) => t.name)).toEqual(['mass']);
    expect(errors).toEqual([
      { row: 3, message: '"liver" has the unknown class "organ" (expected bodypart, type, attribute)' },
      { row: 5, message: 'the term is empty' },
      { row: 6, message: '"mass" was already defined in row 2' },
    ]);
  });

  it('reports a header without the term or class column', () => {
    expect(parseLesanetOntology([['id', 'name']]).errors).toEqual([{ row: 1, message: 'the header lacks the column(s) class, term' }]);
  });

  it('splits " | " lists', () => {
    expect(splitMultiValue(' a |B  c|| ')).toEqual(['a', 'b c']);
    expect(splitMultiValue(undefined)).toEqual([]);
  });
});

const haveLesanet = fs.existsSync(path.join(LESANET_DIR, 'lesion_ontology_181022.xlsx'));
if (!haveLesanet) console.log(`Skipping the LesaNet ontology tests: ${LESANET_DIR} is absent`);
(haveLesanet ? describe : describe.skip)('the shared LesaNet ontology', () => {
  const parsed = haveLesanet ? parseLesanetOntology(readXlsxRows(fs.readFileSync(path.join(LESANET_DIR, 'lesion_ontology_181022.xlsx')))) : undefined;

  it('has 333 terms and no bad rows', () => {
    expect(parsed!.errors).toEqual([]);
    expect(parsed!.terms.length).toBe(333);
    expect(vocabularyProblems(parsed!.terms)).toEqual([]);
    // The file refers to a few terms it does not define (e.g. "neoplasm", "gastrointestinal"), and has one
    // term excluding its own ancestor.
    expect(parsed!.warnings).toContain('row 292: "metastasis" lists parent "neoplasm", which is not a term; dropped');
    expect(parsed!.warnings).toContain('row 103: "pretracheal lymph node" lists its own ancestor "superior mediastinum lymph node" as exclusive; dropped');
  });

  it('reads liver with its synonyms, parents and exclusive terms', () => {
    const liver = parsed!.terms.find((t) => t.name === 'liver')!;
    expect(liver.termClass).toBe('bodypart');
    expect(liver.synonyms).toEqual(expect.arrayContaining(['hepatic', 'hepatic lobe']));
    expect(liver.synonyms).not.toContain('liver');
    expect(liver.parents).toEqual(expect.arrayContaining(['abdomen', 'upper abdomen']));
    expect(liver.exclusive).toEqual(expect.arrayContaining(['spleen', 'stomach']));
    expect(liver.children).toContain('liver mass');
    const liverMass = parsed!.terms.find((t) => t.name === 'liver mass')!;
    expect(liverMass.parents).toEqual(expect.arrayContaining(['liver', 'mass']));
  });

  it('contains every term of the 171 text-mined labels (case-insensitively)', () => {
    const { term_list: termList } = JSON.parse(fs.readFileSync(path.join(LESANET_DIR, 'text_mined_labels_171_and_split.json'), 'utf8')) as {
      term_list: string[];
    };
    expect(termList.length).toBe(171);
    const names = new Set(parsed!.terms.map((t) => t.name));
    expect(termList.filter((term) => !names.has(term.toLowerCase()))).toEqual([]);
    // Only "porta Hepatis" and its lymph node differ by case: names are lower-cased.
    expect(termList.filter((term) => !names.has(term))).toEqual(['porta Hepatis', 'porta Hepatis lymph node']);
  });
});
