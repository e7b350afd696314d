import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { SampleService } from '../../src/sample/sample.service';
import { covers } from '../helpers/route-coverage';
import { parseLesanetOntology } from '../../src/tags/vocabulary/lesanet-ontology.parser';
import { benchmarkReportMining, HandLabeledSentence } from '../../src/tags/text/report-mining-benchmark';
import { evaluateLabels } from '../../src/tags/text/report-mining-eval';
import { readXlsxRows } from '../../src/tags/vocabulary/xlsx';
import { bearer, createTestApp, SHARED_DIR, TestApp, waitFor } from '../helpers/test-app';

interface ListItem {
  id: number;
  coarseType: { code: number };
  tags: { term: string; confidence: number; source: string }[];
  tagScore?: number;
}

const LESANET = path.join(SHARED_DIR, 'data/lesanet');

describe('tags: vocabulary, query language, curation, report mining, prediction (e2e)', () => {
  let t: TestApp;
  let reader: string;
  let curator: string;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false' });
    const job = await t.app.get(SampleService).ensureIngested();
    expect(job.status).toBe('completed');
    reader = await t.keyFor('reader');
    curator = await t.keyFor('curator');
    db = t.app.get(DataSource);
  });
  afterAll(async () => t?.close());

  const list = (q: string, extra: Record<string, string | number> = {}) =>
    t
      .http()
      .get('/api/v1/lesions')
      .query({ q, limit: 500, ...extra })
      .set(bearer(reader));
  const count = async (sql: string, params: unknown[] = []) => (await db.query(sql, params))[0].n as number;
  const termId = async (name: string) => (await db.query(`SELECT id FROM vocabulary_term WHERE name = $1`, [name]))[0].id as number;
  /** Lesions carrying a term or any of its descendants, straight from the tables. */
  const tagged = (term: string) =>
    db
      .query(
        `SELECT DISTINCT t.lesion_id FROM lesion_tag t JOIN term_closure c ON c.descendant_id = t.term_id JOIN vocabulary_term v ON v.id = c.ancestor_id WHERE v.name = $1 AND NOT t.rejected`,
        [term],
      )
      .then((rows: { lesion_id: number }[]) => new Set(rows.map((r) => r.lesion_id)));

  it('ships a default vocabulary with hierarchy, synonyms and exclusive terms', async () => {
    covers('GET /api/v1/vocabulary/terms/{name}', 'success');
    const liver = await t.http().get('/api/v1/vocabulary/terms/hepatic').set(bearer(reader)).expect(200);
    expect(liver.body.name).toBe('liver');
    expect(liver.body.ancestors).toContain('abdomen');
    expect(liver.body.descendants).toEqual(expect.arrayContaining(['right hepatic lobe', 'liver mass']));
    const hypo = await t.http().get('/api/v1/vocabulary/terms/hypodense').set(bearer(reader)).expect(200);
    expect(hypo.body.exclusive).toContain('hyperdense');
    await t.http().get('/api/v1/vocabulary/terms/xyzzy').set(bearer(reader)).expect(404);
    const suggest = await t.http().get('/api/v1/vocabulary/suggest').query({ prefix: 'hypo' }).set(bearer(reader)).expect(200);
    expect(suggest.body.map((s: { term: string }) => s.term)).toContain('hypodense');
  });

  it('tags every lesion with its coarse type, so "liver" finds the liver lesions', async () => {
    const liverLesions = await count(`SELECT count(*)::int AS n FROM lesion WHERE coarse_type = 4`);
    expect(liverLesions).toBeGreaterThan(0);
    const res = await list('liver').expect(200);
    const expected = await tagged('liver');
    expect(res.body.total).toBe(expected.size);
    expect(new Set(res.body.items.map((i: ListItem) => i.id))).toEqual(expected);
    expect(res.body.items.filter((i: ListItem) => i.coarseType.code === 4)).toHaveLength(liverLesions);
    expect(res.body.query.understood).toBe('liver');
  });

  it('expands a term to its descendants ("abdomen" includes every liver and kidney lesion)', async () => {
    const abdomen = new Set((await list('abdomen').expect(200)).body.items.map((i: ListItem) => i.id));
    for (const id of await tagged('liver')) expect(abdomen.has(id)).toBe(true);
    for (const id of await tagged('kidney')) expect(abdomen.has(id)).toBe(true);
  });

  it('applies AND, OR, NOT and parentheses as set operations', async () => {
    const [liver, cyst, lung] = await Promise.all([tagged('liver'), tagged('cyst'), tagged('lung')]);
    const ids = async (q: string) => new Set((await list(q).expect(200)).body.items.map((i: ListItem) => i.id));
    expect(await ids('liver AND cyst')).toEqual(new Set([...liver].filter((id) => cyst.has(id))));
    expect(await ids('liver NOT cyst')).toEqual(new Set([...liver].filter((id) => !cyst.has(id))));
    expect(await ids('liver OR lung')).toEqual(new Set([...liver, ...lung]));
    expect(await ids('(liver OR lung) AND NOT cyst')).toEqual(new Set([...liver, ...lung].filter((id) => !cyst.has(id))));
    expect([...(await ids('liver AND cyst'))].length).toBeGreaterThan(0);
  });

  it('reads free text with plurals, typos and negation, and reports unknown words', async () => {
    const res = await list('hypodense livr lesions not cysts xyzzy').expect(200);
    expect(res.body.query.understood).toBe('hypodense AND liver AND NOT cyst');
    expect(res.body.query.unknownWords).toEqual(['xyzzy']);
    expect(res.body.query.corrections).toEqual([{ text: 'livr', term: 'liver' }]);
    const nothing = await list('xyzzy plugh').expect(400);
    expect(nothing.body.message).toMatch(/No known term/);
    await list('liver AND').expect(400);
    await list('(liver').expect(400);
  });

  it('combines a tag query with structured filters and pages by confidence', async () => {
    const all = (await list('abdomen').expect(200)).body;
    const female = (await list('abdomen', { sex: 'F' }).expect(200)).body;
    expect(female.total).toBeLessThan(all.total);
    const page1 = (await list('abdomen', { limit: 3, offset: 0 }).expect(200)).body;
    const page2 = (await list('abdomen', { limit: 3, offset: 3 }).expect(200)).body;
    expect(page1.total).toBe(all.total);
    expect(page1.items.map((i: ListItem) => i.id)).toEqual(all.items.slice(0, 3).map((i: ListItem) => i.id));
    expect(page2.items.map((i: ListItem) => i.id)).toEqual(all.items.slice(3, 6).map((i: ListItem) => i.id));
    const scores = all.items.map((i: ListItem) => i.tagScore!);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const post = await t.http().post('/api/v1/search/tags').set(bearer(reader)).send({ q: 'abdomen', sex: 'F', limit: 500 }).expect(200);
    expect(post.body.total).toBe(female.total);
  });

  it('mines a report with negation and uncertainty, and stores only what holds', async () => {
    covers('POST /api/v1/lesions/{id}/report', 'success');
    const [{ id }] = await db.query(`SELECT id FROM lesion WHERE coarse_type = 4 ORDER BY id LIMIT 1`);
    await t.http().post(`/api/v1/lesions/${id}/report`).set(bearer(reader)).send({ text: 'x' }).expect(403);
    const res = await t
      .http()
      .post(`/api/v1/lesions/${id}/report`)
      .set(bearer(curator))
      .send({ text: 'Hypodense liver lesion without calcification, possibly necrotic.' })
      .expect(201);
    expect(res.body.negated).toContain('calcified');
    const stored = Object.fromEntries(res.body.stored.map((s: { term: string; uncertain: boolean }) => [s.term, s.uncertain]));
    expect(stored.hypodense).toBe(false);
    expect(stored.necrotic).toBe(true);
    expect(stored.calcified).toBeUndefined();
    const tags = await t.http().get(`/api/v1/lesions/${id}/tags`).set(bearer(reader)).expect(200);
    const hypodense = tags.body.tags.find((tag: { term: string }) => tag.term === 'hypodense');
    expect(hypodense.sources.map((s: { source: string }) => s.source)).toContain('report_mined');
    expect((await list('calcified').expect(200)).body.items.map((i: ListItem) => i.id)).not.toContain(id);
  });

  it('lets curators add and remove tags (readers cannot); a removed term stays removed', async () => {
    covers('POST /api/v1/lesions/{id}/tags', 'success', 'bad-input');
    covers('DELETE /api/v1/lesions/{id}/tags/{term}', 'success');
    const [{ id }] = await db.query(`SELECT id FROM lesion WHERE coarse_type = 5 ORDER BY id LIMIT 1`);
    await t.http().post(`/api/v1/lesions/${id}/tags`).set(bearer(reader)).send({ term: 'spiculated' }).expect(403);
    const unknown = await t.http().post(`/api/v1/lesions/${id}/tags`).set(bearer(curator)).send({ term: 'spicul' }).expect(400);
    expect(unknown.body.message).toMatch(/not a term/);
    await t.http().post(`/api/v1/lesions/${id}/tags`).set(bearer(curator)).send({ term: 'spiculated', extra: 1 }).expect(400);
    const added = await t.http().post(`/api/v1/lesions/${id}/tags`).set(bearer(curator)).send({ term: 'Spiculated' }).expect(201);
    expect(added.body.tags.find((tag: { term: string }) => tag.term === 'spiculated').sources[0]).toMatchObject({ source: 'curator', by: 'test-curator' });
    expect((await list('spiculated').expect(200)).body.items.map((i: ListItem) => i.id)).toContain(id);
    await t.http().post('/api/v1/lesions/999999/tags').set(bearer(curator)).send({ term: 'lung' }).expect(404);

    const removed = await t.http().delete(`/api/v1/lesions/${id}/tags/lung`).set(bearer(curator)).expect(200);
    expect(removed.body.rejected).toEqual(['lung']);
    expect(removed.body.tags.map((tag: { term: string }) => tag.term)).not.toContain('lung');
    expect((await list('lung').expect(200)).body.items.map((i: ListItem) => i.id)).not.toContain(id);
    // Neither a re-sync of coarse types nor report mining brings it back.
    await t.http().post(`/api/v1/lesions/${id}/report`).set(bearer(curator)).send({ text: 'Right lung nodule.' }).expect(201);
    const after = await t.http().get(`/api/v1/lesions/${id}/tags`).set(bearer(reader)).expect(200);
    expect(after.body.tags.map((tag: { term: string }) => tag.term)).not.toContain('lung');
    expect(after.body.tags.map((tag: { term: string }) => tag.term)).toContain('nodule');
  });

  it('filters similar-lesion search by a tag query', async () => {
    const [{ id }] = await db.query(`SELECT id FROM lesion WHERE coarse_type = 4 ORDER BY id LIMIT 1`);
    const lung = await tagged('lung');
    const res = await t.http().post('/api/v1/search/similar').set(bearer(reader)).send({ lesionId: id, k: 5, tags: 'lung' }).expect(200);
    expect(res.body.hits.length).toBe(Math.min(5, lung.size));
    expect(res.body.hits.every((h: { lesion: { id: number } }) => lung.has(h.lesion.id))).toBe(true);
    expect(res.body.tags.understood).toBe('lung');
    await t.http().post('/api/v1/search/similar').set(bearer(reader)).send({ lesionId: id, tags: 'xyzzy' }).expect(400);
  });

  it('predicts tags for an uploaded slice and box from its labelled neighbours', async () => {
    const [lesion] = await db.query(
      `SELECT l.image_path, l.box_x1, l.box_y1, l.box_x2, l.box_y2, s.spacing_x_mm FROM lesion l JOIN series s ON s.id = l.series_id
       WHERE l.coarse_type = 5 AND NOT EXISTS (SELECT 1 FROM lesion_tag t WHERE t.lesion_id = l.id AND (t.rejected OR t.source = 'curator')) ORDER BY l.id LIMIT 1`,
    );
    const res = await t
      .http()
      .post('/api/v1/search/similar')
      .set(bearer(reader))
      .attach('file', fs.readFileSync(lesion.image_path), 'slice.png')
      .field('box', [lesion.box_x1, lesion.box_y1, lesion.box_x2, lesion.box_y2].join(','))
      .field('spacingMm', String(lesion.spacing_x_mm))
      .expect(200);
    const terms = res.body.predictedTags.map((p: { term: string }) => p.term);
    expect(terms).toContain('lung');
    expect(terms).not.toContain('liver');
    const confidences = res.body.predictedTags.map((p: { confidence: number }) => p.confidence);
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
  });

  it('predicts tags for unreported lesions from labelled neighbours, and evaluates per term', async () => {
    const admin = t.adminKey;
    // Forget the sample's reports on a few lesions so they become prediction targets.
    const targets: { lesion_id: number }[] = await db.query(`SELECT lesion_id FROM lesion_report ORDER BY lesion_id DESC LIMIT 5`);
    await db.query(`DELETE FROM lesion_tag WHERE source = 'report_mined' AND lesion_id = ANY($1)`, [targets.map((r) => r.lesion_id)]);
    await t.http().post('/api/v1/admin/tags/predict').set(bearer(reader)).expect(403);
    await t.http().post('/api/v1/admin/tags/predict').set(bearer(admin)).expect(202);
    const status = await waitFor(async () => {
      const s = await t.http().get('/api/v1/admin/tags/predict').set(bearer(admin)).expect(200);
      return s.body.latest?.status === 'done' && !s.body.running ? s.body : null;
    });
    expect(status.stale).toBe(false);
    expect(status.latest.lesions).toBeGreaterThanOrEqual(5);
    const predicted: { lesion_id: number; term_id: number }[] = await db.query(`SELECT lesion_id, term_id FROM lesion_tag WHERE source = 'predicted'`);
    expect(predicted.length).toBeGreaterThan(0);
    // Never a predicted term mutually exclusive with another tag of the same lesion.
    const clashes = await count(
      `SELECT count(*)::int AS n FROM lesion_tag p JOIN term_exclusive e ON e.term_id = p.term_id JOIN lesion_tag o ON o.lesion_id = p.lesion_id AND o.term_id = e.other_id AND NOT o.rejected WHERE p.source = 'predicted'`,
    );
    expect(clashes).toBe(0);
  });

  it('keeps the expanded lesion_term rows equal to the tags expanded through the closure, deletions included', async () => {
    const [{ id }] = await db.query(`SELECT id FROM lesion ORDER BY id DESC LIMIT 1`);
    await t.http().delete(`/api/v1/lesions/${id}`).set(bearer(t.adminKey)).expect(204);
    expect(await count(`SELECT count(*)::int AS n FROM lesion_term WHERE lesion_id = $1`, [id])).toBe(0);
    const expected = `SELECT c.ancestor_id AS term_id, t.lesion_id, max(t.confidence) AS confidence FROM lesion_tag t JOIN term_closure c ON c.descendant_id = t.term_id WHERE NOT t.rejected GROUP BY 1, 2`;
    expect(await count(`SELECT count(*)::int AS n FROM ((SELECT term_id, lesion_id, confidence FROM lesion_term) EXCEPT (${expected})) d`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM ((${expected}) EXCEPT (SELECT term_id, lesion_id, confidence FROM lesion_term)) d`)).toBe(0);
    // Every lesion tagged "liver" is found under "abdomen" without an "abdomen" tag of its own.
    const liverOnly = await count(
      `SELECT count(*)::int AS n FROM lesion_term lt WHERE lt.term_id = $1 AND NOT EXISTS (SELECT 1 FROM lesion_term a WHERE a.lesion_id = lt.lesion_id AND a.term_id = $2)`,
      [await termId('liver'), await termId('abdomen')],
    );
    expect(liverOnly).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM lesion_term WHERE term_id = $1`, [await termId('abdomen')])).toBeGreaterThanOrEqual(
      await count(`SELECT count(DISTINCT lesion_id)::int AS n FROM lesion_tag WHERE term_id = $1 AND NOT rejected`, [await termId('abdomen')]),
    );
  });

  it('refuses a file that is not a spreadsheet, and changes nothing', async () => {
    covers('POST /api/v1/admin/vocabulary/import', 'bad-input');
    const before = await count(`SELECT count(*)::int AS n FROM vocabulary_term`);
    const res = await t.http().post('/api/v1/admin/vocabulary/import').set(bearer(t.adminKey)).attach('file', Buffer.from('not a zip'), 'x.xlsx').expect(400);
    expect(res.body.message).toMatch(/not a readable .xlsx/);
    expect(await count(`SELECT count(*)::int AS n FROM vocabulary_term`)).toBe(before);
    await t.http().post('/api/v1/admin/vocabulary/import').set(bearer(curator)).attach('file', Buffer.from('x'), 'x.xlsx').expect(403);
  });

  const shared = fs.existsSync(LESANET) ? describe : describe.skip;
  // Only the tests that read the LesaNet files skip without them (visibly: jest lists them as skipped).
  if (!fs.existsSync(LESANET)) console.warn(`Skipping the LesaNet import tests: ${LESANET} is absent`);
  shared('LesaNet imports', () => {
    it('refuses an unknown import mode, and changes nothing', async () => {
      covers('POST /api/v1/admin/vocabulary/import', 'bad-input');
      const before = await count(`SELECT count(*)::int AS n FROM vocabulary_term`);
      const res = await t
        .http()
        .post('/api/v1/admin/vocabulary/import')
        .set(bearer(t.adminKey))
        .field('mode', 'overwrite')
        .attach('file', path.join(LESANET, 'lesion_ontology_181022.xlsx'))
        .expect(400);
      expect(JSON.stringify(res.body.message)).toMatch(/mode/);
      expect(await count(`SELECT count(*)::int AS n FROM vocabulary_term`)).toBe(before);
    });

    it('merges the LesaNet ontology: its 333 terms become searchable with their synonyms and hierarchy', async () => {
      covers('POST /api/v1/admin/vocabulary/import', 'success');
      // A lesion tagged with a stored term the import will claim by name ("hypodense" is LesaNet's synonym of hypoattenuation).
      const [lesion] = await db.query(`SELECT id FROM lesion ORDER BY id LIMIT 1`);
      await t.http().post(`/api/v1/lesions/${lesion.id}/tags`).set(bearer(curator)).send({ term: 'hypodense' }).expect(201);
      const res = await t
        .http()
        .post('/api/v1/admin/vocabulary/import')
        .set(bearer(t.adminKey))
        .field('mode', 'merge')
        .attach('file', path.join(LESANET, 'lesion_ontology_181022.xlsx'))
        .expect(201);
      expect(res.body.termsInFile).toBe(333);
      expect(res.body.mode).toBe('merge');
      // Every conflict is reported, and the imported term won it.
      expect(res.body.conflicts).toEqual(
        expect.arrayContaining([
          { form: 'low attenuation', importedTerm: 'hypoattenuation', storedTerm: 'hypodense', resolution: 'synonym-removed' },
          { form: 'hypodense', importedTerm: 'hypoattenuation', storedTerm: 'hypodense', resolution: 'term-folded' },
          { form: 'left upper lobe', importedTerm: 'left upper lung', storedTerm: 'left upper lobe', resolution: 'term-folded' },
        ]),
      );
      expect(res.body.folded).toEqual(expect.arrayContaining([{ from: 'hypodense', into: 'hypoattenuation' }]));
      expect((await t.http().get('/api/v1/vocabulary/terms/low attenuation').set(bearer(reader)).expect(200)).body.name).toBe('hypoattenuation');
      expect((await t.http().get('/api/v1/vocabulary/terms/left upper lobe').set(bearer(reader)).expect(200)).body.name).toBe('left upper lung');
      // The folded term's tag moved to the term it became.
      const tags = await t.http().get(`/api/v1/lesions/${lesion.id}/tags`).set(bearer(reader)).expect(200);
      expect(JSON.stringify(tags.body)).toMatch(/"hypoattenuation"/);
      expect(await count(`SELECT count(*)::int AS n FROM vocabulary_term WHERE name = 'hypodense'`)).toBe(0);
      expect(res.body.totalTerms).toBeGreaterThanOrEqual(333);
      const names: string[] = (await db.query(`SELECT name FROM vocabulary_term`)).map((r: { name: string }) => r.name);
      const file = JSON.parse(fs.readFileSync(path.join(LESANET, 'text_mined_labels_171_and_split.json'), 'utf8'));
      for (const term of file.term_list as string[]) expect(names).toContain(term.toLowerCase());
      // A LesaNet synonym now resolves to its term; the closure still has no cycle-induced self loops.
      const term = await t.http().get('/api/v1/vocabulary/terms/hepatic lobe').set(bearer(reader)).expect(200);
      expect(term.body.name).toBe('liver');
      expect(await count(`SELECT count(*)::int AS n FROM term_closure WHERE ancestor_id = descendant_id AND depth > 0`)).toBe(0);
      // Importing the same file again changes nothing.
      const again = await t
        .http()
        .post('/api/v1/admin/vocabulary/import')
        .set(bearer(t.adminKey))
        .attach('file', path.join(LESANET, 'lesion_ontology_181022.xlsx'))
        .expect(201);
      expect(again.body.added).toBe(0);
      expect(again.body.totalTerms).toBe(res.body.totalTerms);
      expect(again.body.conflicts).toEqual([]);
    });

    it("mines report sentences through the API after the merge as LesaNet's ontology alone mines them", async () => {
      const ontology = parseLesanetOntology(readXlsxRows(fs.readFileSync(path.join(LESANET, 'lesion_ontology_181022.xlsx'))));
      const sentences = JSON.parse(fs.readFileSync(path.join(LESANET, 'hand_labeled_test_set.json'), 'utf8')) as HandLabeledSentence[];
      expect(sentences.length).toBe(250);
      const allTerms = ontology.terms.map((term) => term.name);
      // What `npm run eval -- report-mining --terms all` computes: the ontology alone, no database.
      const alone = benchmarkReportMining(sentences, ontology.terms, allTerms, 'all').evaluation.micro.f1;
      const [lesion] = await db.query(`SELECT id FROM lesion ORDER BY id LIMIT 1`);
      const predicted: string[][] = [];
      for (const sentence of sentences) {
        const res = await t.http().post(`/api/v1/lesions/${lesion.id}/report`).set(bearer(curator)).send({ text: sentence.text }).expect(201);
        predicted.push(res.body.stored.map((s: { term: string }) => s.term));
      }
      const throughApi = evaluateLabels(
        predicted,
        sentences.map((s) => s.expanded_terms),
        allTerms,
      ).micro.f1;
      console.log(
        `report mining micro-F1 over LesaNet's ${allTerms.length} terms: ontology alone ${(100 * alone).toFixed(2)}, through the API after the merge ${(100 * throughApi).toFixed(2)}`,
      );
      expect(Math.abs(throughApi - alone)).toBeLessThanOrEqual(0.005);
    });

    it('imports the mined labels for lesions whose DL_info row is in the archive', async () => {
      covers('POST /api/v1/admin/tags/import-labels', 'success');
      const file = JSON.parse(fs.readFileSync(path.join(LESANET, 'text_mined_labels_171_and_split.json'), 'utf8'));
      const rows: { id: number; source_row: number }[] = await db.query(`SELECT id, source_row FROM lesion WHERE source_row IS NOT NULL`);
      const trainRows = new Map((file.train_lesion_idxs as number[]).map((row, i) => [row, i]));
      const covered = rows.filter((r) => trainRows.has(r.source_row));
      expect(covered.length).toBeGreaterThan(0);
      const res = await t
        .http()
        .post('/api/v1/admin/tags/import-labels')
        .set(bearer(t.adminKey))
        .attach('file', path.join(LESANET, 'text_mined_labels_171_and_split.json'))
        .expect(201);
      expect(res.body.lesionsMatched).toBeGreaterThanOrEqual(covered.length);
      expect(res.body.unknownTerms).toEqual([]);
      // Round trip: one lesion's stored report labels are exactly the file's relevant labels.
      const sample = covered.find((r) => (file.train_relevant_labels[trainRows.get(r.source_row)!] as number[]).length > 0)!;
      const expected = new Set(
        (file.train_relevant_labels[trainRows.get(sample.source_row)!] as number[]).map((i) => (file.term_list[i] as string).toLowerCase()),
      );
      const stored: { name: string }[] = await db.query(
        `SELECT v.name FROM lesion_tag t JOIN vocabulary_term v ON v.id = t.term_id WHERE t.lesion_id = $1 AND t.source = 'report_label' AND NOT t.uncertain`,
        [sample.id],
      );
      expect(new Set(stored.map((s) => s.name))).toEqual(expected);
      await t.http().post('/api/v1/admin/tags/import-labels').set(bearer(t.adminKey)).attach('file', Buffer.from('{"term_list": 3}'), 'l.json').expect(400);
      await t.http().post('/api/v1/admin/tags/import-labels').set(bearer(t.adminKey)).attach('file', Buffer.from('{oops'), 'l.json').expect(400);
      expect(await termId('liver')).toBeGreaterThan(0);
      // The ontology import moved the closure: lesion_term was rebuilt to match it.
      const fromTags = `SELECT c.ancestor_id AS term_id, t.lesion_id, max(t.confidence) AS confidence FROM lesion_tag t JOIN term_closure c ON c.descendant_id = t.term_id WHERE NOT t.rejected GROUP BY 1, 2`;
      expect(await count(`SELECT count(*)::int AS n FROM ((SELECT term_id, lesion_id, confidence FROM lesion_term) EXCEPT (${fromTags})) d`)).toBe(0);
      expect(await count(`SELECT count(*)::int AS n FROM ((${fromTags}) EXCEPT (SELECT term_id, lesion_id, confidence FROM lesion_term)) d`)).toBe(0);
    });

    // Last: it drops every term LesaNet does not define.
    it('replaces the vocabulary with mode=replace: only the imported terms remain, and it says which went', async () => {
      const defaultOnly: string[] = (await db.query(`SELECT name FROM vocabulary_term WHERE origin = 'default'`)).map((r: { name: string }) => r.name);
      const res = await t
        .http()
        .post('/api/v1/admin/vocabulary/import')
        .set(bearer(t.adminKey))
        .field('mode', 'replace')
        .attach('file', path.join(LESANET, 'lesion_ontology_181022.xlsx'))
        .expect(201);
      expect(res.body.mode).toBe('replace');
      expect(res.body.totalTerms).toBe(333);
      expect(await count(`SELECT count(*)::int AS n FROM vocabulary_term`)).toBe(333);
      expect(res.body.removed.length).toBeGreaterThan(0);
      for (const name of res.body.removed as string[]) expect(defaultOnly).toContain(name);
      expect(await count(`SELECT count(*)::int AS n FROM vocabulary_term WHERE name = ANY($1::text[])`, [res.body.removed])).toBe(0);
      // Expanded tags still follow the (new) closure exactly.
      const fromTags = `SELECT c.ancestor_id AS term_id, t.lesion_id, max(t.confidence) AS confidence FROM lesion_tag t JOIN term_closure c ON c.descendant_id = t.term_id WHERE NOT t.rejected GROUP BY 1, 2`;
      expect(await count(`SELECT count(*)::int AS n FROM ((SELECT term_id, lesion_id, confidence FROM lesion_term) EXCEPT (${fromTags})) d`)).toBe(0);
    });
  });
});
