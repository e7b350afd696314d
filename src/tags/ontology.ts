import { VocabularyTerm } from './vocabulary';

/** Pure graph operations on a vocabulary: checks, merging, expansion. */

export interface VocabularyProblem {
  term: string;
  message: string;
}

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

/** Unresolved references and cycles; an empty list means the vocabulary can be stored. */
export function checkVocabulary(terms: readonly VocabularyTerm[]): VocabularyProblem[] {
  const problems: VocabularyProblem[] = [];
  const names = new Set<string>();
  for (const t of terms) {
    if (!t.name || t.name !== t.name.trim().toLowerCase()) problems.push({ term: t.name, message: 'a term name must be lower-case and trimmed, and not empty' });
    if (names.has(t.name)) problems.push({ term: t.name, message: 'defined twice' });
    names.add(t.name);
  }
  for (const t of terms) {
    for (const [field, refs] of [['parent', t.parents], ['child', t.children], ['exclusive term', t.exclusive]] as const) {
      for (const ref of refs) if (!names.has(ref)) problems.push({ term: t.name, message: `${field} "${ref}" is not a term` });
    }
  }
  const cycle = findCycle(parentEdges(terms));
  if (cycle) problems.push({ term: cycle[0], message: `the hierarchy has a cycle: ${cycle.join(' → ')}` });
  return problems;
}

/** One cycle in the parent graph (as a path that returns to its start), or null. */
export function findCycle(parents: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 1 | 2>(); // 1 on the stack, 2 done
  const stack: string[] = [];
  const visit = (name: string): string[] | null => {
    state.set(name, 1);
    stack.push(name);
    for (const p of parents.get(name) ?? []) {
      if (state.get(p) === 1) return [...stack.slice(stack.indexOf(p)), p];
      if (!state.has(p)) {
        const found = visit(p);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(name, 2);
    return null;
  };
  for (const name of parents.keys()) {
    if (!state.has(name)) {
      const found = visit(name);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Every (ancestor, descendant, depth) pair, including each term with itself at depth 0; the shortest
 * depth where several paths exist. Assumes no cycles (checkVocabulary).
 */
export function closurePairs(terms: readonly VocabularyTerm[]): { ancestor: string; descendant: string; depth: number }[] {
  const parents = parentEdges(terms);
  const pairs: { ancestor: string; descendant: string; depth: number }[] = [];
  for (const t of terms) {
    const depthOf = new Map<string, number>([[t.name, 0]]);
    let frontier = [t.name];
    for (let depth = 1; frontier.length; depth++) {
      const next: string[] = [];
      for (const name of frontier) {
        for (const p of parents.get(name) ?? []) {
          if (!depthOf.has(p)) {
            depthOf.set(p, depth);
            next.push(p);
          }
        }
      }
      frontier = next;
    }
    for (const [ancestor, depth] of depthOf) pairs.push({ ancestor, descendant: t.name, depth });
  }
  return pairs;
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

/**
 * An imported vocabulary merged over the stored one: terms are matched by name; an imported term
 * replaces the stored definition's class and adds its synonyms and relations (nothing stored is
 * dropped, so tags and saved queries keep their meaning). Terms only on one side are kept.
 */
export function mergeVocabularies(stored: readonly VocabularyTerm[], incoming: readonly VocabularyTerm[]): VocabularyTerm[] {
  const byName = new Map(stored.map((t) => [t.name, cloneTerm(t)]));
  for (const t of incoming) {
    const existing = byName.get(t.name);
    if (!existing) {
      byName.set(t.name, cloneTerm(t));
      continue;
    }
    existing.termClass = t.termClass;
    existing.synonyms = union(existing.synonyms, t.synonyms).filter((s) => s !== t.name);
    existing.parents = union(existing.parents, t.parents);
    existing.children = union(existing.children, t.children);
    existing.exclusive = union(existing.exclusive, t.exclusive);
  }
  return [...byName.values()];
}

function cloneTerm(t: VocabularyTerm): VocabularyTerm {
  return { ...t, synonyms: [...t.synonyms], parents: [...t.parents], children: [...t.children], exclusive: [...t.exclusive] };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}
