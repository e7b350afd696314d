import { HnswNeighbours } from '../../src/vector-index/hnsw-protocol';
import { HnswGraph, HnswQuery, HnswRepository } from '../../src/vector-index/hnsw.repository';
import { IndexStoreRepository } from '../../src/vector-index/index-store.repository';
import { LesionMeta } from '../../src/vector-index/lesion-meta';
import { asDependency, mockMethods } from '../helpers/typed-mocks';
import { indexServiceOverMocks, syntheticLesions } from '../helpers/vector-index-fixtures';

// Above the exact-scan limit (5,000 matching lesions), so every strategy of search() can be reached.
const LESIONS = 6000;
const EF_SEARCH = 20;

const metas = syntheticLesions(LESIONS, { firstLesionId: 1000, siteBEvery: 10 });
// On a circle, so the similarity order is easy to compute: label l sits at angle l / LESIONS.
const vectors = new Map(metas.map((m) => [m.label, Float32Array.of(Math.cos(m.label / 1000), Math.sin(m.label / 1000))]));
const similarity = (a: Float32Array, b: Float32Array) => a[0] * b[0] + a[1] * b[1];

/** The k most similar of some labels, as the worker would answer (exactly, for the test's purposes). */
function nearest(query: HnswQuery, labels: Iterable<number>, k: number): HnswNeighbours {
  const q = 'vector' in query ? query.vector : vectors.get(query.label)!;
  const ranked = [...labels]
    .map((label) => ({ label, s: similarity(q, vectors.get(label)!) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k);
  return { labels: Int32Array.from(ranked.map((r) => r.label)), distances: Float32Array.from(ranked.map((r) => 1 - r.s)) };
}

async function loadedIndex(options: { graphFindsAtMost?: number } = {}) {
  const graph = mockMethods<HnswGraph>()({
    add: async () => undefined,
    markDeleted: async () => 0,
    ids: async () => [],
    point: async (label: number) => vectors.get(label) ?? null,
    drop: async () => undefined,
    // A graph walk: the allowed labels only, and (to imitate a filtered walk that gives up) at most graphFindsAtMost.
    search: async (query: HnswQuery, k: number, _ef: number, allowed?: Uint8Array) => {
      const labels = [...vectors.keys()].filter((l) => !allowed || allowed[l] === 1);
      return nearest(query, labels, Math.min(k, options.graphFindsAtMost ?? k));
    },
    exact: async (query: HnswQuery, labels: number[], k: number) => nearest(query, labels, k),
  });
  const hnsw = mockMethods<HnswRepository>()({
    onWorkerLost: () => undefined,
    create: async () => asDependency<HnswGraph>({ ...graph, dim: 2 }),
    close: async () => undefined,
  });
  const store = mockMethods<IndexStoreRepository>()({
    allMeta: async () => metas,
    latestSnapshot: async () => null,
    vectors: async (labels: number[]) => new Map(labels.map((l) => [l, vectors.get(l)!])),
  });
  const config = { index: { dir: '/nonexistent', m: 16, efConstruction: 100, efSearch: EF_SEARCH, snapshotEvery: 1_000_000 } };
  const service = indexServiceOverMocks({ hnsw, store, modelId: 'test-model', config });
  await service.load();
  graph.search.mockClear();
  graph.exact.mockClear();
  return { service, graph };
}

/** The true answer: the k most similar lesions passing a predicate. */
const truth = (queryLabel: number, k: number, keep: (m: LesionMeta) => boolean) =>
  Array.from(
    nearest(
      { label: queryLabel },
      metas.filter(keep).map((m) => m.label),
      k,
    ).labels,
  ).map((l) => l + 999);

describe('VectorIndexService.search strategies (typed mocks of the HNSW worker and the store)', () => {
  const query = metas[2000];
  const ids = (hits: { meta: LesionMeta }[]) => hits.map((h) => h.meta.lesionId);

  it('answers exclusions only (lesion, patient) by fetching that many more neighbours, unfiltered, and dropping them', async () => {
    const { service, graph } = await loadedIndex();
    const hits = await service.search({ lesionId: query.lesionId }, 10, { excludeLesionId: query.lesionId, excludePatientId: query.patientId });
    // 10 wanted + 1 for the lesion + 4 for its patient.
    expect(graph.search).toHaveBeenCalledTimes(1);
    expect(graph.search.mock.calls[0]).toEqual([{ label: query.label }, 15, EF_SEARCH]);
    expect(graph.exact).not.toHaveBeenCalled();
    expect(ids(hits)).toEqual(truth(query.label, 10, (m) => m.patientId !== query.patientId));
  });

  it('answers a selective filter (at most 5,000 lesions) by an exact scan of exactly the matching labels', async () => {
    const { service, graph } = await loadedIndex();
    const hits = await service.search({ lesionId: query.lesionId }, 10, { datasets: ['site-b'] });
    expect(graph.search).not.toHaveBeenCalled();
    const [q, labels, k] = graph.exact.mock.calls[0];
    expect([q, k]).toEqual([{ label: query.label }, 10]);
    expect(labels.sort((a, b) => a - b)).toEqual(metas.filter((m) => m.dataset === 'site-b').map((m) => m.label));
    expect(ids(hits)).toEqual(truth(query.label, 10, (m) => m.dataset === 'site-b'));
  });

  it('walks the graph with a label bitmap for a broad filter, and widens ef four-fold before an exact fallback', async () => {
    const broad = await loadedIndex();
    const hits = await broad.service.search({ lesionId: query.lesionId }, 10, { datasets: ['site-a'] });
    const [, k, ef, allowed] = broad.graph.search.mock.calls[0];
    expect([k, ef]).toEqual([10, EF_SEARCH]);
    expect(metas.every((m) => allowed![m.label] === (m.dataset === 'site-a' ? 1 : 0))).toBe(true);
    expect(ids(hits)).toEqual(truth(query.label, 10, (m) => m.dataset === 'site-a'));

    // A walk that keeps coming back short: ef 20, 80, 320, then the exact scan over the matching labels.
    const short = await loadedIndex({ graphFindsAtMost: 3 });
    const fallback = await short.service.search({ lesionId: query.lesionId }, 10, { datasets: ['site-a'] });
    expect(short.graph.search.mock.calls.map((c) => c[2])).toEqual([20, 80, 320]);
    expect(short.graph.exact).toHaveBeenCalledTimes(1);
    expect(ids(fallback)).toEqual(truth(query.label, 10, (m) => m.dataset === 'site-a'));
  });

  it("answers a large lesion pool with exclusions through the pool's bitmap, fetching past the excluded lesions", async () => {
    const { service, graph } = await loadedIndex();
    const pool = new Set(metas.filter((m) => m.label % 7 !== 0).map((m) => m.lesionId));
    const hits = await service.search({ lesionId: query.lesionId }, 10, {
      lesionIds: pool,
      excludeLesionId: query.lesionId,
      excludePatientId: query.patientId,
    });
    expect(graph.exact).not.toHaveBeenCalled();
    const [, fetch, , allowed] = graph.search.mock.calls[graph.search.mock.calls.length - 1];
    expect(fetch).toBe(15);
    expect(metas.every((m) => allowed![m.label] === (pool.has(m.lesionId) ? 1 : 0))).toBe(true);
    expect(ids(hits)).toEqual(truth(query.label, 10, (m) => pool.has(m.lesionId) && m.patientId !== query.patientId));
  });

  it('answers a small pool exactly, and an unknown query lesion with no hits', async () => {
    const { service, graph } = await loadedIndex();
    const pool = new Set(metas.slice(0, 50).map((m) => m.lesionId));
    const hits = await service.search({ lesionId: query.lesionId }, 5, { lesionIds: pool, excludePatientId: query.patientId });
    expect(graph.exact.mock.calls[0][1]).toHaveLength(50);
    expect(ids(hits)).toEqual(truth(query.label, 5, (m) => pool.has(m.lesionId)));
    expect(await service.search({ lesionId: 1 }, 5)).toEqual([]);
  });
});
