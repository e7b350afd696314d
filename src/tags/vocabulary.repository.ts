import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { closurePairs, exclusivePairs, parentEdges } from './vocabulary/ontology';
import { TermClass, VocabularyTerm } from './vocabulary/vocabulary';

export interface StoredVocabulary {
  terms: VocabularyTerm[];
  idByName: Map<string, number>;
  version: number;
}

/** The vocabulary tables: terms, parent and exclusivity edges, and the closure used for expansion. */
@Injectable()
export class VocabularyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async load(): Promise<StoredVocabulary> {
    // The version first: a save committed while the rest is read leaves it older than the terms, never newer,
    // so save(…, basedOnVersion) refuses a merge built on what it read.
    const version = await this.currentVersion();
    const [terms, parents, exclusive] = await Promise.all([
      this.dataSource.query(`SELECT id, name, term_class, synonyms FROM vocabulary_term ORDER BY id`) as Promise<
        { id: number; name: string; term_class: TermClass; synonyms: string[] }[]
      >,
      this.dataSource.query(
        `SELECT c.name AS child, p.name AS parent FROM term_parent tp JOIN vocabulary_term c ON c.id = tp.term_id JOIN vocabulary_term p ON p.id = tp.parent_id`,
      ) as Promise<{ child: string; parent: string }[]>,
      this.dataSource.query(
        `SELECT a.name AS a, b.name AS b FROM term_exclusive e JOIN vocabulary_term a ON a.id = e.term_id JOIN vocabulary_term b ON b.id = e.other_id`,
      ) as Promise<{ a: string; b: string }[]>,
    ]);
    const byName = new Map<string, VocabularyTerm>(
      terms.map((t) => [t.name, { name: t.name, termClass: t.term_class, synonyms: t.synonyms, parents: [], children: [], exclusive: [] }]),
    );
    for (const { child, parent } of parents) {
      byName.get(child)!.parents.push(parent);
      byName.get(parent)!.children.push(child);
    }
    for (const { a, b } of exclusive) byName.get(a)!.exclusive.push(b);
    return { terms: [...byName.values()], idByName: new Map(terms.map((t) => [t.name, t.id])), version };
  }

  async currentVersion(): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT value FROM tag_state WHERE key = 'vocabulary_version'`);
    return Number(row?.value ?? 1);
  }

  /**
   * Stores a whole (already merged and checked) vocabulary in one transaction: terms upserted by
   * name (their synonyms replaced), edges and closure rewritten. A folded term's tags move to the term it
   * became and it is deleted; removed terms are deleted with their tags. Other terms missing from `terms`
   * are left as they are. With `basedOnVersion` (the version the merge was computed from), stores nothing and
   * returns false when another import saved in between: the caller merges again from the new state.
   */
  async save(
    terms: readonly VocabularyTerm[],
    origin: string,
    changes: { folded?: readonly { from: string; into: string }[]; removed?: readonly string[] } = {},
    basedOnVersion?: number,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      // One writer at a time: two imports must not interleave their edge rewrites.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('vocabulary'))`);
      if (basedOnVersion !== undefined) {
        const [current] = await manager.query(`SELECT value FROM tag_state WHERE key = 'vocabulary_version'`);
        if (Number(current?.value ?? 1) !== basedOnVersion) return false;
      }
      await manager.query(
        `INSERT INTO vocabulary_term (name, term_class, synonyms, origin)
         SELECT name, term_class, synonyms::text[], origin FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS v(name, term_class, synonyms, origin)
         ON CONFLICT (name) DO UPDATE SET term_class = EXCLUDED.term_class, updated_at = now(),
           synonyms = ARRAY(SELECT DISTINCT s FROM unnest(EXCLUDED.synonyms) s WHERE s <> vocabulary_term.name ORDER BY s)`,
        [terms.map((t) => t.name), terms.map((t) => t.termClass), terms.map((t) => pgArray(t.synonyms)), terms.map(() => origin)],
      );
      for (const { from, into } of changes.folded ?? []) {
        // A tag the target already has from the same source stays as it is.
        await manager.query(
          `INSERT INTO lesion_tag (lesion_id, term_id, source, confidence, rejected, uncertain, model_id, created_by, created_at)
           SELECT t.lesion_id, i.id, t.source, t.confidence, t.rejected, t.uncertain, t.model_id, t.created_by, t.created_at
           FROM lesion_tag t JOIN vocabulary_term f ON f.id = t.term_id AND f.name = $1 CROSS JOIN vocabulary_term i
           WHERE i.name = $2
           ON CONFLICT (lesion_id, term_id, source) DO NOTHING`,
          [from, into],
        );
      }
      const deleted = [...(changes.folded ?? []).map((f) => f.from), ...(changes.removed ?? [])];
      if (deleted.length) await manager.query(`DELETE FROM vocabulary_term WHERE name = ANY($1::text[])`, [deleted]);
      const ids = await idsByName(manager);
      const all = await this.termsAfterSave(manager, terms, ids);
      await manager.query(`DELETE FROM term_parent`);
      await manager.query(`DELETE FROM term_exclusive`);
      await manager.query(`DELETE FROM term_closure`);
      const parentPairs = [...parentEdges(all)].flatMap(([child, parents]) => [...parents].map((p) => [ids.get(child)!, ids.get(p)!]));
      await insertPairs(manager, 'term_parent (term_id, parent_id)', parentPairs);
      const exclusive = [...exclusivePairs(all)].flatMap(([a, others]) => [...others].map((b) => [ids.get(a)!, ids.get(b)!]));
      await insertPairs(manager, 'term_exclusive (term_id, other_id)', exclusive);
      const closure = closurePairs(all);
      await manager.query(`INSERT INTO term_closure (ancestor_id, descendant_id, depth) SELECT * FROM unnest($1::int[], $2::int[], $3::int[])`, [
        closure.map((c) => ids.get(c.ancestor)!),
        closure.map((c) => ids.get(c.descendant)!),
        closure.map((c) => c.depth),
      ]);
      // The closure moved: every lesion's expanded terms follow it.
      await manager.query(`SELECT lesion_term_rebuild()`);
      // Fresh statistics, so the planner reads the rebuilt table's terms by index at once.
      await manager.query(`ANALYZE lesion_term`);
      await manager.query(`UPDATE tag_state SET value = value + 1 WHERE key = 'vocabulary_version'`);
      return true;
    });
  }

  /** The stored terms not in this save keep their edges: read them back and add the new definitions. */
  private async termsAfterSave(manager: EntityManager, saved: readonly VocabularyTerm[], ids: Map<string, number>): Promise<VocabularyTerm[]> {
    const savedNames = new Set(saved.map((t) => t.name));
    const parents: { child: string; parent: string }[] = await manager.query(
      `SELECT c.name AS child, p.name AS parent FROM term_parent tp JOIN vocabulary_term c ON c.id = tp.term_id JOIN vocabulary_term p ON p.id = tp.parent_id`,
    );
    const exclusive: { a: string; b: string }[] = await manager.query(
      `SELECT a.name AS a, b.name AS b FROM term_exclusive e JOIN vocabulary_term a ON a.id = e.term_id JOIN vocabulary_term b ON b.id = e.other_id`,
    );
    const kept = new Map<string, VocabularyTerm>();
    for (const name of ids.keys())
      if (!savedNames.has(name)) kept.set(name, { name, termClass: 'type', synonyms: [], parents: [], children: [], exclusive: [] });
    for (const { child, parent } of parents) if (kept.has(child)) kept.get(child)!.parents.push(parent);
    for (const { a, b } of exclusive) if (kept.has(a)) kept.get(a)!.exclusive.push(b);
    return [...saved, ...kept.values()];
  }
}

async function idsByName(manager: EntityManager): Promise<Map<string, number>> {
  const rows: { id: number; name: string }[] = await manager.query(`SELECT id, name FROM vocabulary_term`);
  return new Map(rows.map((r) => [r.name, r.id]));
}

async function insertPairs(manager: EntityManager, target: string, pairs: number[][]): Promise<void> {
  if (!pairs.length) return;
  await manager.query(`INSERT INTO ${target} SELECT * FROM unnest($1::int[], $2::int[]) ON CONFLICT DO NOTHING`, [
    pairs.map((p) => p[0]),
    pairs.map((p) => p[1]),
  ]);
}

/** A text[] literal for unnest of arrays of arrays (node-postgres cannot send ragged text[][]). */
function pgArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
