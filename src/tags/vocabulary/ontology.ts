import { VocabularyTerm } from './vocabulary';
import { ancestorWalk } from './vocabulary-links';

/** Pure graph operations on a vocabulary: merging and expansion (checks: vocabularyProblems in vocabulary-links). */

/** Parent edges (child → parents) from both directions of the definitions, references resolved. */
export function parentEdges(terms: readonly VocabularyTerm[]): Map<string, Set<string>> {
  const names = new Set(terms.map((t) => t.name));
  const parents = new Map<string, Set<string>>(terms.map((t) => [t.name, new Set<string>()]));
  for (const t of terms) {
    for (const p of t.parents) if (names.has(p) && p !== t.name) parents.get(t.name)!.add(p);
    for (const c of t.children) if (names.has(c) && c !== t.name) parents.get(c)!.add(t.name);
  }
  return parents;
}

/**
 * Every (ancestor, descendant, depth) pair, including each term with itself at depth 0; the shortest
 * depth where several paths exist. Assumes no cycles (vocabularyProblems).
 */
export function closurePairs(terms: readonly VocabularyTerm[]): { ancestor: string; descendant: string; depth: number }[] {
  const parents = parentEdges(terms);
  return terms.flatMap((t) => [
    { ancestor: t.name, descendant: t.name, depth: 0 },
    ...ancestorWalk(t.name, (name) => parents.get(name) ?? []).map(({ name, depth }) => ({ ancestor: name, descendant: t.name, depth })),
  ]);
}

/** For each term, itself and all its descendants: what a query for the term must match. */
export function descendantsByTerm(terms: readonly VocabularyTerm[]): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>(terms.map((t) => [t.name, new Set<string>()]));
  for (const { ancestor, descendant } of closurePairs(terms)) result.get(ancestor)?.add(descendant);
  return result;
}

/** For each term, its ancestors (not itself): a positive tag implies them. */
export function ancestorsByTerm(terms: readonly VocabularyTerm[]): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>(terms.map((t) => [t.name, new Set<string>()]));
  for (const { ancestor, descendant, depth } of closurePairs(terms)) if (depth > 0) result.get(descendant)?.add(ancestor);
  return result;
}

/** Exclusivity made symmetric (a term listed by either side), unresolved names dropped. */
export function exclusivePairs(terms: readonly VocabularyTerm[]): Map<string, Set<string>> {
  const names = new Set(terms.map((t) => t.name));
  const result = new Map<string, Set<string>>(terms.map((t) => [t.name, new Set<string>()]));
  for (const t of terms) {
    for (const other of t.exclusive) {
      if (!names.has(other) || other === t.name) continue;
      result.get(t.name)!.add(other);
      result.get(other)!.add(t.name);
    }
  }
  return result;
}

/** A name or synonym that an imported term and a stored term both claimed, and what the merge did about it. */
export interface MergeConflict {
  form: string;
  importedTerm: string;
  storedTerm: string;
  /**
   * 'synonym-removed': the stored term no longer has the form as a synonym.
   * 'term-folded': the form was the stored term's name; the stored term became the imported one (its name
   * and remaining synonyms are now synonyms of the imported term, its relations and tags move there).
   */
  resolution: 'synonym-removed' | 'term-folded';
}

export interface MergedVocabulary {
  terms: VocabularyTerm[];
  conflicts: MergeConflict[];
  /** Stored terms folded into imported ones: their tags must move to `into` before they are deleted. */
  folded: { from: string; into: string }[];
  /** Stored terms dropped by a replace (neither imported nor folded): deleted with their tags. */
  removed: string[];
}

export type ImportMode = 'merge' | 'replace';
export const IMPORT_MODES: readonly ImportMode[] = ['merge', 'replace'];

/**
 * An imported vocabulary combined with the stored one. Terms are matched by name.
 *
 * 'merge' keeps the stored terms the import does not define. Declared rule for conflicts — the imported
 * term wins: an imported term's definition (class, synonyms, relations) replaces a stored term of the same
 * name, and a form (name or synonym) the import gives to one term is taken from every other stored term, so
 * text mined after the import reads as the ontology's authors meant ("low attenuation" lands on their
 * "hypoattenuation", not on a stored "hypodense"). A stored term whose very name the import claims is
 * folded into the claiming term: its name becomes a synonym (queries and lookups by it still work), its
 * tags move there, and terms that referred to it refer to the claiming term. Every conflict is returned.
 *
 * 'replace' keeps only the imported terms; stored terms whose name the import claims are folded as above,
 * the others are listed in `removed`.
 */
export function mergeVocabularies(stored: readonly VocabularyTerm[], incoming: readonly VocabularyTerm[], mode: ImportMode = 'merge'): MergedVocabulary {
  // Names first: an imported name belongs to its term even when another imported term lists it as a synonym.
  const claimedBy = new Map<string, string>(incoming.map((t) => [t.name, t.name]));
  for (const t of incoming) for (const form of t.synonyms) if (!claimedBy.has(form)) claimedBy.set(form, t.name);

  const conflicts: MergeConflict[] = [];
  const folded: { from: string; into: string }[] = [];
  const removed: string[] = [];
  const byName = new Map<string, VocabularyTerm>();
  for (const s of stored) {
    const owner = claimedBy.get(s.name);
    if (owner !== undefined && owner !== s.name) {
      conflicts.push({ form: s.name, importedTerm: owner, storedTerm: s.name, resolution: 'term-folded' });
      folded.push({ from: s.name, into: owner });
    }
    const synonyms = s.synonyms.filter((form) => {
      const claimant = claimedBy.get(form);
      if (claimant === undefined) return true;
      if (claimant !== s.name) conflicts.push({ form, importedTerm: claimant, storedTerm: s.name, resolution: 'synonym-removed' });
      return false;
    });
    if (owner !== undefined) continue; // imported (its definition replaces this one) or folded
    if (mode === 'replace') removed.push(s.name);
    else byName.set(s.name, { ...cloneTerm(s), synonyms });
  }
  for (const t of incoming) byName.set(t.name, { ...cloneTerm(t), synonyms: t.synonyms.filter((s) => s !== t.name) });
  const into = new Map(folded.map((f) => [f.from, f.into]));
  for (const { from, into: target } of folded) {
    const owner = byName.get(target)!;
    owner.synonyms = union(owner.synonyms, [from]).filter((s) => s !== target);
  }
  // References to a folded term now point at the term it became; references to removed terms go.
  const gone = new Set(removed);
  const rename = (self: string, names: string[]) =>
    union(
      names.filter((n) => !gone.has(n)).map((n) => into.get(n) ?? n),
      [],
    ).filter((n) => n !== self);
  for (const t of byName.values()) {
    t.parents = rename(t.name, t.parents);
    t.children = rename(t.name, t.children);
    t.exclusive = rename(t.name, t.exclusive);
  }
  return { terms: [...byName.values()], conflicts, folded, removed };
}

function cloneTerm(t: VocabularyTerm): VocabularyTerm {
  return { ...t, synonyms: [...t.synonyms], parents: [...t.parents], children: [...t.children], exclusive: [...t.exclusive] };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}
