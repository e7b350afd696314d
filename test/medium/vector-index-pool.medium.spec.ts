import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppConfig } from '../../src/config/app-config';
import { EncoderService } from '../../src/ml/encoder.service';
import { Prng } from '../../src/sample/prng';
import { cosine } from '../../src/vector-index/exact-search';
import { HnswRepository } from '../../src/vector-index/hnsw.repository';
import { IndexStoreRepository } from '../../src/vector-index/index-store.repository';
import { LesionMeta } from '../../src/vector-index/lesion-meta';
import { VectorIndexService } from '../../src/vector-index/vector-index.service';
import { emptyChangeLog, FakeChangeFeed } from '../helpers/fake-change-feed';
import { syntheticLesions } from '../helpers/vector-index-fixtures';

// Above the exact-scan limit (5,000), so a pool of most lesions goes through the graph with a bitmap.
const LESIONS = 8000;
const DIM = 16;

/** The index service on a real hnswlib worker, over lesions held in memory instead of PostgreSQL. */
function indexOver(
  hnsw: HnswRepository,
  dir: string,
  metas: (LesionMeta & { createdAt: Date })[],
  vectors: Map<number, Float32Array>,
  inDatabase: Set<number>,
  feed: FakeChangeFeed,
) {
  const store = {
    allMeta: async () => metas.filter((m) => inDatabase.has(m.label)),
    metaForLabelsOrLesions: async (_model: string, labels: number[], lesions: number[]) =>
      metas.filter((m) => inDatabase.has(m.label) && (labels.includes(m.label) || lesions.includes(m.lesionId))),
    latestSnapshot: async () => null,
    now: async () => new Date(),
    recordSnapshot: async () => [],
    vectors: async (labels: number[]) => new Map(labels.filter((l) => vectors.has(l)).map((l) => [l, vectors.get(l)!])),
  } as unknown as IndexStoreRepository;
  const encoder = { status: () => ({ state: 'ready' }), loaded: { modelId: 'test-model' }, dim: DIM } as unknown as EncoderService;
  const config = {
    index: { dir, m: 16, efConstruction: 100, efSearch: 20, snapshotEvery: 1_000_000 },
    changeLog: { retentionHours: 1 },
  } as unknown as AppConfig;
  return new VectorIndexService(hnsw, store, encoder, config, feed.asService(), emptyChangeLog());
}

describe('similar-lesion search within a large lesion pool (real hnswlib)', () => {
  const rng = new Prng(5);
  // One more lesion than the index starts with: added later, as an import would.
  const metas = syntheticLesions(LESIONS + 1, { firstLesionId: 1000, siteBEvery: 3 });
  const vectors = new Map(metas.map((m) => [m.label, Float32Array.from({ length: DIM }, () => rng.normal(0, 1))]));
  const hnsw = new HnswRepository();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vector-index-pool-'));
  const inDatabase = new Set(metas.filter((m) => m.label <= LESIONS).map((m) => m.label));
  const feed = new FakeChangeFeed('test-model');
  const index = indexOver(hnsw, dir, metas, vectors, inDatabase, feed);

  beforeAll(() => index.load(), 60_000);
  afterAll(async () => {
    await index.beforeApplicationShutdown();
    await index.onApplicationShutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The exact answer: the k most similar pool members, other patients only. */
  function exact(query: (typeof metas)[number], pool: Set<number>, k: number): number[] {
    const q = vectors.get(query.label)!;
    return metas
      .filter((m) => pool.has(m.lesionId) && m.patientId !== query.patientId)
      .map((m) => ({ lesionId: m.lesionId, similarity: cosine(q, vectors.get(m.label)!) }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, k)
      .map((h) => h.lesionId);
  }

  it('returns k pool members of other patients, as an exact scan ranks them, and follows changes to the index', async () => {
    // Three quarters of the archive, as tag prediction's labelled pool might be.
    const pool = new Set(metas.filter((_, i) => i % 4 !== 0 && i < LESIONS).map((m) => m.lesionId));
    let agree = 0;
    const queries = metas.filter((_, i) => i % 97 === 0 && i < LESIONS);
    for (const query of queries) {
      const hits = await index.search({ lesionId: query.lesionId }, 10, {
        lesionIds: pool,
        excludeLesionId: query.lesionId,
        excludePatientId: query.patientId,
      });
      expect(hits).toHaveLength(10);
      expect(hits.every((h) => pool.has(h.meta.lesionId) && h.meta.patientId !== query.patientId)).toBe(true);
      const truth = exact(query, pool, 10);
      agree += hits.filter((h) => truth.includes(h.meta.lesionId)).length;
    }
    expect(agree / (queries.length * 10)).toBeGreaterThan(0.95);

    // The same pool Set after the index changed: its cached bitmap must follow.
    const late = metas[LESIONS];
    pool.add(late.lesionId);
    const lateVector = vectors.get(late.label)!;
    inDatabase.add(late.label);
    feed.log('embedding', late.label);
    await index.addLabels([late.label]);
    expect((await index.search(lateVector, 1, { lesionIds: pool, excludePatientId: -1 }))[0].meta.lesionId).toBe(late.lesionId);
    const query = metas[1];
    const first = (await index.search({ lesionId: query.lesionId }, 1, { lesionIds: pool, excludePatientId: query.patientId }))[0];
    inDatabase.delete(first.meta.label);
    feed.log('lesion', first.meta.lesionId);
    feed.log('embedding', first.meta.label);
    await index.removeLesion(first.meta.lesionId);
    const after = await index.search({ lesionId: query.lesionId }, 10, { lesionIds: pool, excludePatientId: query.patientId });
    expect(after.map((h) => h.meta.lesionId)).not.toContain(first.meta.lesionId);
    expect(after).toHaveLength(10);
  }, 60_000);

  it('keeps to the filter’s datasets (a key limited to a site): through the graph for a large site, exactly for a small one', async () => {
    const indexed = () => metas.filter((m) => inDatabase.has(m.label));
    for (const [dataset, minimumAgreement] of [
      ['site-a', 0.95], // two thirds of the archive: above the exact-scan limit, a bitmap in the graph walk
      ['site-b', 1], // one third: answered by an exact scan
    ] as const) {
      const site = new Set(
        indexed()
          .filter((m) => m.dataset === dataset)
          .map((m) => m.lesionId),
      );
      let agree = 0;
      const queries = metas.filter((_, i) => i % 131 === 0 && i < LESIONS && inDatabase.has(metas[i].label));
      for (const query of queries) {
        const hits = await index.search({ lesionId: query.lesionId }, 10, {
          datasets: [dataset],
          excludeLesionId: query.lesionId,
          excludePatientId: query.patientId,
        });
        expect(hits).toHaveLength(10);
        expect(hits.every((h) => h.meta.dataset === dataset)).toBe(true);
        const truth = exact(query, site, 10);
        agree += hits.filter((h) => truth.includes(h.meta.lesionId)).length;
      }
      expect(agree / (queries.length * 10)).toBeGreaterThanOrEqual(minimumAgreement);
    }
  }, 60_000);
});
