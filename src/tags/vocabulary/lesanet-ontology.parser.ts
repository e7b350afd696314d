import { TERM_CLASSES, TermClass, VocabularyTerm } from './vocabulary';
import { linkTerms } from './vocabulary-links';

/** A row that could not become a term; `row` is the spreadsheet's row number (the header is row 1). */
export interface OntologyRowError {
  row: number;
  message: string;
}

export interface OntologyParseResult {
  terms: VocabularyTerm[];
  /** Rows left out. */
  errors: OntologyRowError[];
  /** Things repaired or dropped while keeping the row: unknown references, a synonym naming another term. */
  warnings: string[];
}

const REQUIRED_COLUMNS = ['class', 'term'] as const;

/** LesaNet's multi-valued cells separate values with " | ". */
export function splitMultiValue(cell: string | undefined): string[] {
  return (cell ?? '')
    .split('|')
    .map(normalizeTermText)
    .filter((value) => value !== '');
}

/** Lower-case, trimmed, inner whitespace collapsed: the form every name and synonym is kept in. */
export function normalizeTermText(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * Turns the rows of LesaNet's ontology sheet (lesion_ontology_181022.xlsx: id, class, term, synonyms,
 * num_detected, term_exclusive, term_parents, term_children; first row the header) into vocabulary terms.
 * Bad rows are reported, not thrown, so one typo does not stop an import.
 */
export function parseLesanetOntology(rows: readonly (readonly string[])[]): OntologyParseResult {
  const header = (rows[0] ?? []).map(normalizeTermText);
  const column = (name: string) => header.indexOf(name);
  const missing = REQUIRED_COLUMNS.filter((name) => column(name) < 0);
  if (missing.length) return { terms: [], errors: [{ row: 1, message: `the header lacks the column(s) ${missing.join(', ')}` }], warnings: [] };

  const errors: OntologyRowError[] = [];
  const cell = (row: readonly string[], name: string) => (column(name) >= 0 ? (row[column(name)] ?? '') : '');
  const raw: VocabularyTerm[] = [];
  const rowOf = new Map<string, number>();
  rows.slice(1).forEach((row, i) => {
    const rowNumber = i + 2;
    if (row.every((value) => value.trim() === '')) return;
    const name = normalizeTermText(cell(row, 'term'));
    const termClass = normalizeTermText(cell(row, 'class'));
    if (!name) return errors.push({ row: rowNumber, message: 'the term is empty' });
    if (!TERM_CLASSES.includes(termClass as TermClass)) {
      return errors.push({ row: rowNumber, message: `"${name}" has the unknown class "${cell(row, 'class')}" (expected ${TERM_CLASSES.join(', ')})` });
    }
    if (rowOf.has(name)) return errors.push({ row: rowNumber, message: `"${name}" was already defined in row ${rowOf.get(name)}` });
    rowOf.set(name, rowNumber);
    raw.push({
      name,
      termClass: termClass as TermClass,
      synonyms: unique(splitMultiValue(cell(row, 'synonyms'))).filter((s) => s !== name),
      parents: unique(splitMultiValue(cell(row, 'term_parents'))),
      children: unique(splitMultiValue(cell(row, 'term_children'))),
      exclusive: unique(splitMultiValue(cell(row, 'term_exclusive'))),
    });
  });

  const { terms, warnings } = linkTerms(raw);
  // A synonym that is another term's name would make that name ambiguous: the name wins.
  const names = new Set(terms.map((t) => t.name));
  for (const term of terms) {
    const kept = term.synonyms.filter((synonym) => !names.has(synonym));
    for (const dropped of term.synonyms.filter((synonym) => names.has(synonym))) {
      warnings.push(`row ${rowOf.get(term.name)}: synonym "${dropped}" of "${term.name}" is the name of another term; dropped`);
    }
    term.synonyms = kept;
  }
  return { terms, errors, warnings: warnings.map((w) => withRow(w, rowOf)) };
}

function withRow(warning: string, rowOf: Map<string, number>): string {
  if (warning.startsWith('row ')) return warning;
  const name = /^"([^"]+)"/.exec(warning)?.[1];
  return name && rowOf.has(name) ? `row ${rowOf.get(name)}: ${warning}` : warning;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
