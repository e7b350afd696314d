/**
 * The shape of a vocabulary, shared by the ontology store, the query language and report mining.
 * Terms are identified by their preferred name, lower-cased (LesaNet's convention), so an imported
 * ontology and mined labels agree without a separate id mapping.
 */
export type TermClass = 'bodypart' | 'type' | 'attribute';

export const TERM_CLASSES: readonly TermClass[] = ['bodypart', 'type', 'attribute'];

export interface VocabularyTerm {
  /** Preferred name, lower-case; the key every other field refers to. */
  name: string;
  termClass: TermClass;
  /** Other ways a report or a user says it (lower-case); the name itself need not be repeated. */
  synonyms: string[];
  /** Broader terms (names): "liver" has parent "abdomen". */
  parents: string[];
  /** Narrower terms (names); kept consistent with parents by the store. */
  children: string[];
  /** Terms that cannot hold for the same lesion (names): "cyst" vs "solid". */
  exclusive: string[];
}

/** Where a lesion's tag came from; the order is the trust order used when one term has several. */
export type TagSource = 'curator' | 'report_label' | 'report_mined' | 'coarse_type' | 'predicted';

export const TAG_SOURCES: readonly TagSource[] = ['curator', 'report_label', 'report_mined', 'coarse_type', 'predicted'];
