import { VocabularyTerm } from './vocabulary';

/**
 * Makes the cross-references of a vocabulary consistent: every parent lists its child and every child its
 * parent, exclusivity holds both ways. References to names that are not terms, and a term referring to
 * itself, are dropped and described in the returned warnings. The terms are copied, not changed.
 */
export function linkTerms(terms: readonly VocabularyTerm[]): { terms: VocabularyTerm[]; warnings: string[] } {
  const warnings: string[] = [];
  const byName = new Map<string, VocabularyTerm>();
  for (const term of terms) {
    byName.set(term.name, { ...term, synonyms: [...term.synonyms], parents: [], children: [], exclusive: [] });
  }
  const add = (list: string[], name: string) => {
    if (!list.includes(name)) list.push(name);
  };
  for (const term of terms) {
    const linked = byName.get(term.name)!;
    const known = (field: string, name: string): boolean => {
      if (name === term.name) {
        warnings.push(`"${term.name}" lists itself as ${field}; dropped`);
        return false;
      }
      if (!byName.has(name)) {
        warnings.push(`"${term.name}" lists ${field} "${name}", which is not a term; dropped`);
        return false;
      }
      return true;
    };
    for (const parent of term.parents) {
      if (!known('parent', parent)) continue;
      add(linked.parents, parent);
      add(byName.get(parent)!.children, term.name);
    }
    for (const child of term.children) {
      if (!known('child', child)) continue;
      add(linked.children, child);
      add(byName.get(child)!.parents, term.name);
    }
    for (const other of term.exclusive) {
      if (!known('exclusive term', other)) continue;
      add(linked.exclusive, other);
      add(byName.get(other)!.exclusive, term.name);
    }
  }
  // A term cannot exclude its own ancestor (every lesion with the term has the ancestor): drop such pairs.
  for (const term of byName.values()) {
    const ancestors = new Set(ancestorsOf(term.name, byName));
    for (const other of term.exclusive.filter((name) => ancestors.has(name))) {
      warnings.push(`"${term.name}" lists its own ancestor "${other}" as exclusive; dropped`);
      term.exclusive = term.exclusive.filter((name) => name !== other);
      const ancestor = byName.get(other)!;
      ancestor.exclusive = ancestor.exclusive.filter((name) => name !== term.name);
    }
  }
  return { terms: terms.map((t) => byName.get(t.name)!), warnings };
}

/** Every ancestor of `name` (parents, their parents, …), nearest first; cycles are followed once. */
export function ancestorsOf(name: string, byName: ReadonlyMap<string, VocabularyTerm>): string[] {
  return ancestorWalk(name, (current) => byName.get(current)?.parents ?? []).map((a) => a.name);
}

/**
 * The one ancestor walk: breadth first from `name` over `parentsOf`, each ancestor once at its shortest
 * depth, nearest first; `name` itself and cycles back to it are left out.
 */
export function ancestorWalk(name: string, parentsOf: (name: string) => Iterable<string>): { name: string; depth: number }[] {
  const seen = new Set<string>([name]);
  const order: { name: string; depth: number }[] = [];
  let frontier = [name];
  for (let depth = 1; frontier.length; depth++) {
    const next: string[] = [];
    for (const current of frontier) {
      for (const parent of parentsOf(current)) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        order.push({ name: parent, depth });
        next.push(parent);
      }
    }
    frontier = next;
  }
  return order;
}

/**
 * What is wrong with a vocabulary, as sentences (empty when it is sound): duplicate names, a synonym used by
 * two terms or equal to another term's name, unresolved references, parent/child or exclusivity links that
 * do not hold both ways, cycles in the hierarchy, a term exclusive with its own ancestor.
 */
export function vocabularyProblems(terms: readonly VocabularyTerm[]): string[] {
  const problems: string[] = [];
  const byName = new Map<string, VocabularyTerm>();
  for (const term of terms) {
    if (byName.has(term.name)) problems.push(`duplicate term "${term.name}"`);
    byName.set(term.name, term);
    if (term.name !== term.name.trim().toLowerCase() || !term.name) problems.push(`name "${term.name}" is not trimmed lower-case text`);
  }
  const formOwner = new Map<string, string>();
  for (const term of terms) formOwner.set(term.name, term.name);
  for (const term of terms) {
    for (const synonym of term.synonyms) {
      if (synonym === term.name) continue;
      const owner = formOwner.get(synonym);
      if (owner && owner !== term.name) problems.push(`"${synonym}" is a synonym of "${term.name}" and also names or is a synonym of "${owner}"`);
      formOwner.set(synonym, term.name);
    }
    for (const [field, list] of [
      ['parent', term.parents],
      ['child', term.children],
      ['exclusive term', term.exclusive],
    ] as const) {
      for (const name of list) if (!byName.has(name)) problems.push(`"${term.name}" lists ${field} "${name}", which is not a term`);
    }
    for (const parent of term.parents)
      if (byName.has(parent) && !byName.get(parent)!.children.includes(term.name))
        problems.push(`"${parent}" is a parent of "${term.name}" but does not list it as a child`);
    for (const child of term.children)
      if (byName.has(child) && !byName.get(child)!.parents.includes(term.name))
        problems.push(`"${child}" is a child of "${term.name}" but does not list it as a parent`);
    for (const other of term.exclusive)
      if (byName.has(other) && !byName.get(other)!.exclusive.includes(term.name))
        problems.push(`"${term.name}" excludes "${other}" but not the other way round`);
  }
  // Cycles: depth-first search with colours.
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') {
      problems.push(`cycle in the hierarchy: ${[...path.slice(path.indexOf(name)), name].join(' → ')}`);
      return;
    }
    state.set(name, 'open');
    for (const parent of byName.get(name)?.parents ?? []) visit(parent, [...path, name]);
    state.set(name, 'done');
  };
  for (const term of terms) visit(term.name, []);
  for (const term of terms) {
    const ancestors = new Set(ancestorsOf(term.name, byName));
    for (const other of term.exclusive) if (ancestors.has(other)) problems.push(`"${term.name}" excludes its own ancestor "${other}"`);
  }
  return problems;
}
