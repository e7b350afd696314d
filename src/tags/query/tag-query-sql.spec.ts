import { compileTagQuery } from './tag-query-sql';
import { TagQueryNode } from './tag-query';

const ids: Record<string, number> = { liver: 4, cyst: 9, lung: 5, hypodense: 12 };
const compile = (node: TagQueryNode) => compileTagQuery(node, (term) => ids[term]);
const term = (name: string): TagQueryNode => ({ kind: 'term', term: name });

describe('compileTagQuery', () => {
  it('reads one lesion_term range per term, with no aggregation', () => {
    expect(compile(term('liver'))).toBe('SELECT lesion_id, confidence AS score FROM lesion_term WHERE term_id = 4');
  });

  it('joins AND branches and keeps the weakest confidence', () => {
    const sql = compile({ kind: 'and', children: [term('hypodense'), term('liver')] });
    expect(sql).toContain('LEAST(a0.score, a1.score)');
    expect(sql).toContain('JOIN (SELECT lesion_id, confidence AS score FROM lesion_term WHERE term_id = 4) a1 ON a1.lesion_id = a0.lesion_id');
  });

  it('anti-joins NOT branches, against every lesion when nothing positive is given', () => {
    const sql = compile({ kind: 'and', children: [term('liver'), { kind: 'not', child: term('cyst') }] });
    expect(sql).toMatch(
      /LEFT JOIN \(SELECT lesion_id, confidence AS score FROM lesion_term WHERE term_id = 9\) n0 ON n0\.lesion_id = b\.lesion_id WHERE n0\.lesion_id IS NULL$/,
    );
    expect(compile({ kind: 'not', child: term('cyst') })).toContain('FROM (SELECT id AS lesion_id, 1::real AS score FROM lesion) b');
  });

  it('unions OR branches keeping the strongest confidence', () => {
    expect(compile({ kind: 'or', children: [term('liver'), term('lung')] })).toMatch(
      /^SELECT lesion_id, max\(score\) AS score FROM \(.* UNION ALL .*\) u GROUP BY lesion_id$/,
    );
  });

  it('matches nothing for a term without an id, and never writes a non-integer into SQL', () => {
    expect(compile(term('unknown'))).toContain('WHERE false');
    expect(() => compileTagQuery(term('liver'), () => 1.5)).toThrow(/not an integer/);
  });
});
