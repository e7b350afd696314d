import { DataSource } from 'typeorm';
import { ChangeFeedService } from '../../src/change-log/change-feed.service';
import { CohortsRepository } from '../../src/cohorts/cohorts.repository';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { LesionTagsRepository } from '../../src/tags/lesion-tags.repository';
import { parseTagQuery, TagQueryNode } from '../../src/tags/query/tag-query';
import { compileTagQuery } from '../../src/tags/query/tag-query-sql';
import { resolvePhrase } from '../../src/tags/query/tag-query.service';
import { TermClass, VocabularyTerm } from '../../src/tags/vocabulary/vocabulary';
import { VocabularyRepository } from '../../src/tags/vocabulary.repository';
import { VocabularyService, VocabularySnapshot } from '../../src/tags/vocabulary.service';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { asDependency } from '../helpers/typed-mocks';

const term = (name: string, termClass: TermClass, parents: string[] = []): VocabularyTerm => ({
  name,
  termClass,
  synonyms: [],
  parents,
  children: [],
  exclusive: [],
});

// The test's own hierarchy (child → parents); the truth below expands tags through this map, not through SQL.
const PARENTS: Record<string, string[]> = {
  chest: [],
  lung: ['chest'],
  'right lung': ['lung'],
  abdomen: [],
  liver: ['abdomen'],
  kidney: ['abdomen'],
  cyst: [],
  mass: [],
  hypodense: [],
};
const CLASS: Record<string, TermClass> = { cyst: 'type', mass: 'type', hypodense: 'attribute' };
const vocabularyOf = (parents: Record<string, string[]>) => Object.entries(parents).map(([name, p]) => term(name, CLASS[name] ?? 'bodypart', p));
const LEAVES = ['right lung', 'lung', 'liver', 'kidney', 'cyst', 'mass', 'hypodense'];

interface Tag {
  lesionId: number;
  term: string;
  confidence: number;
  rejected: boolean;
}

/** A term and every ancestor, by the given hierarchy. */
function withAncestors(name: string, parents: Record<string, string[]>): string[] {
  return [name, ...parents[name].flatMap((p) => withAncestors(p, parents))];
}

/** Per lesion, its expanded terms with the best confidence: what lesion_term should hold. */
function expandedTruth(tags: Tag[], parents: Record<string, string[]>): Map<number, Map<string, number>> {
  const byLesion = new Map<number, Map<string, number>>();
  for (const t of tags) {
    if (t.rejected) continue;
    const terms = byLesion.get(t.lesionId) ?? new Map<string, number>();
    for (const name of withAncestors(t.term, parents)) terms.set(name, Math.max(terms.get(name) ?? 0, t.confidence));
    byLesion.set(t.lesionId, terms);
  }
  return byLesion;
}

/** The lesions a query tree matches, evaluated in JavaScript over the expanded truth. */
function matches(node: TagQueryNode, terms: Map<string, number>): boolean {
  switch (node.kind) {
    case 'term':
      return terms.has(node.term);
    case 'and':
      return node.children.every((c) => matches(c, terms));
    case 'or':
      return node.children.some((c) => matches(c, terms));
    case 'not':
      return !matches(node.child, terms);
  }
}

/**
 * The tag SQL on real PostgreSQL: compiled tag queries run against seeded tags and compared with an
 * independent evaluation; the closure triggers followed through a re-parenting; cohort versions and
 * vocabulary imports under concurrency.
 */
describe('tag and cohort SQL on PostgreSQL (medium)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let vocabularies: VocabularyRepository;
  const lesionIds: number[] = [];
  const tags: Tag[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await new DataSource(dataSourceOptions(database.url, false)).initialize();
    await db.runMigrations();
    vocabularies = new VocabularyRepository(db);
    await vocabularies.save(vocabularyOf(PARENTS), 'test');
    const [{ id: patientId }] = await db.query(`INSERT INTO patient (dataset, patient_index, sex) VALUES ('a', 1, 'F') RETURNING id`);
    const [{ id: studyId }] = await db.query(`INSERT INTO study (patient_id, study_index, age_years) VALUES ($1, 1, 50) RETURNING id`, [patientId]);
    const [{ id: seriesId }] = await db.query(`INSERT INTO series (study_id, series_index, spacing_x_mm) VALUES ($1, 1, 0.7) RETURNING id`, [studyId]);
    for (let k = 0; k < 30; k++) {
      const [{ id }] = await db.query(
        `INSERT INTO lesion (series_id, study_id, patient_id, key_slice_index, lesion_in_image, box_x1, box_y1, box_x2, box_y2, long_axis_mm, coarse_type, possibly_noisy, split, source_file_name, image_path, image_encoding)
         VALUES ($1, $2, $3, 10, $4, 1, 1, 9, 9, 10, -1, false, 1, 'f.png', '/x/f.png', 'png16') RETURNING id`,
        [seriesId, studyId, patientId, k],
      );
      lesionIds.push(id);
      // Lesions 28 and 29 stay untagged, so NOT queries have lesions without any tag to return.
      if (k >= 28) continue;
      const named = new Set([LEAVES[k % 7], ...(k % 2 ? [LEAVES[(k * 3 + 1) % 7]] : []), ...(k % 3 === 0 ? ['hypodense'] : [])]);
      [...named].forEach((name, i) => tags.push({ lesionId: id, term: name, confidence: 0.5 + ((k + i) % 5) / 10, rejected: k % 11 === 0 && i === 0 }));
    }
    const ids = (await vocabularies.load()).idByName;
    for (const t of tags) {
      await db.query(`INSERT INTO lesion_tag (lesion_id, term_id, source, confidence, rejected) VALUES ($1, $2, 'curator', $3, $4)`, [
        t.lesionId,
        ids.get(t.term),
        t.confidence,
        t.rejected,
      ]);
    }
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const lesionTerm = async () => {
    const rows: { lesion_id: number; name: string; c: number }[] = await db.query(
      `SELECT lt.lesion_id, v.name, round(lt.confidence::numeric, 2)::float AS c FROM lesion_term lt JOIN vocabulary_term v ON v.id = lt.term_id`,
    );
    const byLesion = new Map<number, Map<string, number>>();
    for (const r of rows) byLesion.set(r.lesion_id, (byLesion.get(r.lesion_id) ?? new Map()).set(r.name, r.c));
    return byLesion;
  };
  const sorted = (m: Map<number, Map<string, number>>) => [...m].map(([id, terms]) => [id, [...terms].sort()] as const).sort((a, b) => a[0] - b[0]);
  const rounded = (m: Map<number, Map<string, number>>) =>
    new Map([...m].map(([id, terms]) => [id, new Map([...terms].map(([n, c]) => [n, Math.round(c * 100) / 100]))]));

  const runQuery = async (text: string, parents: Record<string, string[]>) => {
    const stored = await vocabularies.load();
    const snapshot = new VocabularySnapshot(stored.terms, stored.idByName, stored.version);
    const parsed = parseTagQuery(text, (phrase) => resolvePhrase(snapshot, phrase));
    expect(parsed.unknownWords).toEqual([]);
    const sql = compileTagQuery(parsed.root!, (name) => stored.idByName.get(name));
    const got: { lesion_id: number; score: number }[] = await db.query(`SELECT lesion_id, score FROM (${sql}) q ORDER BY lesion_id`);
    const truth = expandedTruth(tags, parents);
    const expected = lesionIds.filter((id) => matches(parsed.root!, truth.get(id) ?? new Map()));
    return { got, gotIds: got.map((r) => r.lesion_id), expected, truth };
  };

  it('expands every tag through the stored closure into lesion_term, leaving rejected tags out', async () => {
    expect(sorted(await lesionTerm())).toEqual(sorted(rounded(expandedTruth(tags, PARENTS))));
  });

  it.each([
    'lung',
    'chest',
    'abdomen AND NOT liver',
    'chest OR cyst',
    'NOT (hypodense OR kidney)',
    'liver AND hypodense',
    '(lung OR kidney) AND NOT cyst',
    'NOT abdomen',
  ])('runs the compiled query %p and returns exactly the lesions an independent evaluation finds', async (text) => {
    const { gotIds, expected } = await runQuery(text, PARENTS);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(lesionIds.length);
    expect(gotIds).toEqual(expected);
  });

  it('scores a term by its best implying tag, AND by the weakest of its terms', async () => {
    const single = await runQuery('abdomen', PARENTS);
    for (const r of single.got) expect(r.score).toBeCloseTo(single.truth.get(r.lesion_id)!.get('abdomen')!, 5);
    const both = await runQuery('chest AND hypodense', PARENTS);
    expect(both.got.length).toBeGreaterThan(0);
    for (const r of both.got) {
      const terms = both.truth.get(r.lesion_id)!;
      expect(r.score).toBeCloseTo(Math.min(terms.get('chest')!, terms.get('hypodense')!), 5);
    }
  });

  it('moves the expanded terms when a term changes parent, and back', async () => {
    const moved = { ...PARENTS, kidney: ['chest'] };
    await vocabularies.save(vocabularyOf(moved), 'test');
    expect(sorted(await lesionTerm())).toEqual(sorted(rounded(expandedTruth(tags, moved))));
    const { gotIds, expected } = await runQuery('chest AND NOT lung', moved);
    expect(expected.length).toBeGreaterThan(0);
    expect(gotIds).toEqual(expected);
    await vocabularies.save(vocabularyOf(PARENTS), 'test');
    expect(sorted(await lesionTerm())).toEqual(sorted(rounded(expandedTruth(tags, PARENTS))));
  });

  it('numbers concurrent cohort versions 1..n without an error', async () => {
    const cohorts = new CohortsRepository(db);
    const id = await cohorts.createCohort('concurrent', null, null);
    const save = (i: number) =>
      cohorts.addVersion(id, {
        definition: { i },
        memberCount: i,
        membersMd5: `md5-${i}`,
        vocabularyVersion: 1,
        labelsVersion: 1,
        modelId: null,
        createdBy: null,
      });
    const versions = await Promise.all(Array.from({ length: 8 }, (_, i) => save(i)));
    expect([...versions].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const stored: { version: number; definition: { i: number } }[] = await db.query(`SELECT version, definition FROM cohort_version WHERE cohort_id = $1`, [
      id,
    ]);
    // Each call got back the version its own definition was stored under.
    expect(new Map(stored.map((r) => [r.version, r.definition.i]))).toEqual(new Map(versions.map((v, i) => [v, i])));
  });

  it('leaves exactly one of two concurrent replacing imports, not a mix, and refuses neither with a 5xx', async () => {
    const changes = { subscribe: () => undefined };
    const service = new VocabularyService(vocabularies, new LesionTagsRepository(db), asDependency<ChangeFeedService>(changes));
    const first = [term('organ', 'bodypart'), term('heart', 'bodypart', ['organ']), term('nodule', 'type')];
    const second = [term('region', 'bodypart'), term('spleen', 'bodypart', ['region']), term('lesion', 'type'), term('calcified', 'attribute')];
    const results = await Promise.allSettled([
      service.importOntology(first, 'first.xlsx', 'replace'),
      service.importOntology(second, 'second.xlsx', 'replace'),
    ]);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { getStatus?: () => number }).getStatus?.()).toBeLessThan(500);
    const names = (await vocabularies.load()).terms.map((t) => t.name).sort();
    expect([first.map((t) => t.name).sort(), second.map((t) => t.name).sort()]).toContainEqual(names);
  });
});
