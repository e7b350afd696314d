import { TagQueryNode } from './tag-query';

/**
 * Compiles a parsed tag query into one SQL statement returning `(lesion_id, score)`: the lesions that
 * satisfy the query and how confidently (AND takes the weakest of its terms, OR the strongest).
 * Every term is one range of `lesion_term` (tags already expanded to their ancestors) through its
 * (term_id, confidence, lesion_id) index; NOT is an anti-join. Term ids are integers from the
 * vocabulary (no user text reaches the SQL). Pure.
 */
export type TermIdOf = (term: string) => number | undefined;

export function compileTagQuery(root: TagQueryNode, idOf: TermIdOf): string {
  return compile(root, idOf);
}

const ALL_LESIONS = `SELECT id AS lesion_id, 1::real AS score FROM lesion`;

function compile(node: TagQueryNode, expand: TermIdOf): string {
  switch (node.kind) {
    case 'term':
      return termSql(expand(node.term));
    case 'not':
      return antiJoin(ALL_LESIONS, [compile(node.child, expand)]);
    case 'or':
      return `SELECT lesion_id, max(score) AS score FROM (${node.children.map((c) => compile(c, expand)).join(' UNION ALL ')}) u GROUP BY lesion_id`;
    case 'and': {
      const positive = node.children.filter((c) => c.kind !== 'not');
      const negated = node.children.filter((c): c is Extract<TagQueryNode, { kind: 'not' }> => c.kind === 'not').map((c) => compile(c.child, expand));
      const base = positive.length ? intersect(positive.map((c) => compile(c, expand))) : ALL_LESIONS;
      return negated.length ? antiJoin(base, negated) : base;
    }
  }
}

function termSql(id: number | undefined): string {
  if (id === undefined) return `SELECT NULL::int AS lesion_id, NULL::real AS score WHERE false`;
  if (!Number.isSafeInteger(id)) throw new Error(`term id ${id} is not an integer`);
  return `SELECT lesion_id, confidence AS score FROM lesion_term WHERE term_id = ${id}`;
}

function intersect(parts: string[]): string {
  if (parts.length === 1) return parts[0];
  const joins = parts
    .slice(1)
    .map((sql, i) => `JOIN (${sql}) a${i + 1} ON a${i + 1}.lesion_id = a0.lesion_id`)
    .join(' ');
  const least = `LEAST(${parts.map((_, i) => `a${i}.score`).join(', ')})`;
  return `SELECT a0.lesion_id, ${least} AS score FROM (${parts[0]}) a0 ${joins}`;
}

function antiJoin(base: string, excluded: string[]): string {
  const joins = excluded.map((sql, i) => `LEFT JOIN (${sql}) n${i} ON n${i}.lesion_id = b.lesion_id`).join(' ');
  const where = excluded.map((_, i) => `n${i}.lesion_id IS NULL`).join(' AND ');
  return `SELECT b.lesion_id, b.score FROM (${base}) b ${joins} WHERE ${where}`;
}
