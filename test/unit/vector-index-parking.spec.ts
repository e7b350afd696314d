import { HnswGraph, HnswRepository } from '../../src/vector-index/hnsw.repository';
import { IndexStoreRepository } from '../../src/vector-index/index-store.repository';
import { asDependency, mockMethods } from '../helpers/typed-mocks';
import { indexServiceOverMocks, lesionMeta } from '../helpers/vector-index-fixtures';

const DIM = 2;
// Each model embeds the same three lesions, under its own labels.
const LESIONS = [11, 12, 13];
const modelNumber = (modelId: string) => modelId.charCodeAt(modelId.length - 1);
const metasOf = (modelId: string) => LESIONS.map((lesionId, i) => lesionMeta({ label: modelNumber(modelId) * 10 + i, lesionId }));

/**
 * Issue 19 leftovers: a switch parks the previous model's graph so that switching back needs only a
 * catch-up, but only PARKED_MODELS graphs; older ones are dropped from the worker, as is a graph whose
 * build failed.
 */
describe('VectorIndexService parking (unit)', () => {
  async function indexService(parkedModels: number) {
    /** Graphs the worker holds, by the model each was created for; dropped ones are removed. */
    const live = new Map<number, string>();
    const built: string[] = [];
    let nextGraph = 0;
    let building = 'model-a';
    const failing = new Set<string>();
    const hnsw = mockMethods<HnswRepository>()({
      onWorkerLost: () => undefined,
      create: async () => {
        const id = ++nextGraph;
        live.set(id, building);
        built.push(building);
        const graph = mockMethods<HnswGraph>()({
          add: async () => undefined,
          markDeleted: async () => 0,
          ids: async () => [],
          drop: async () => void live.delete(id),
        });
        return asDependency<HnswGraph>({ ...graph, id, dim: DIM });
      },
      close: async () => undefined,
    });
    const store = mockMethods<IndexStoreRepository>()({
      allMeta: async (modelId: string) => {
        if (failing.has(modelId)) throw new Error(`cannot read model ${modelId}`);
        return metasOf(modelId);
      },
      latestSnapshot: async () => null,
      countEmbeddings: async () => LESIONS.length,
      vectors: async (labels: number[]) => new Map(labels.map((l) => [l, Float32Array.of(1, l)])),
    });
    const config = { index: { dir: '/nonexistent', m: 16, efConstruction: 100, efSearch: 20, snapshotEvery: 1_000_000 }, encoder: { parkedModels } };
    const service = indexServiceOverMocks({ hnsw, store, modelId: 'model-a', config });
    await service.load();
    const switchTo = async (modelId: string) => {
      building = modelId;
      const swapped = jest.fn();
      await service.switchModel(modelId, DIM, swapped);
      expect(swapped).toHaveBeenCalledTimes(1);
    };
    const liveModels = () => [...live.values()].sort();
    return { service, switchTo, liveModels, built, failing };
  }

  it('keeps only the most recent previous graph, and switches back to it without building', async () => {
    const { service, switchTo, liveModels, built } = await indexService(1);
    await switchTo('model-b');
    expect(service.parkedModelIds()).toEqual(['model-a']);
    expect(liveModels()).toEqual(['model-a', 'model-b']);
    await switchTo('model-c');
    await switchTo('model-d');
    await switchTo('model-e');
    // Four switches, one parked: the worker holds the live graph and d's, not a, b and c.
    expect(service.parkedModelIds()).toEqual(['model-d']);
    expect(liveModels()).toEqual(['model-d', 'model-e']);
    const builds = built.length;
    await switchTo('model-d');
    expect(built.length).toBe(builds);
    expect(service.status()).toMatchObject({ modelId: 'model-d', points: LESIONS.length });
    expect(service.parkedModelIds()).toEqual(['model-e']);
    expect(liveModels()).toEqual(['model-d', 'model-e']);
  });

  it('keeps PARKED_MODELS graphs, dropping the least recently parked first', async () => {
    const { service, switchTo, liveModels } = await indexService(2);
    await switchTo('model-b');
    await switchTo('model-c');
    expect(service.parkedModelIds()).toEqual(['model-a', 'model-b']);
    await switchTo('model-a');
    expect(service.parkedModelIds()).toEqual(['model-b', 'model-c']);
    await switchTo('model-d');
    expect(service.parkedModelIds()).toEqual(['model-c', 'model-a']);
    expect(liveModels()).toEqual(['model-a', 'model-c', 'model-d']);
  });

  it('drops the graph of a switch that failed, and of a parked model released on request', async () => {
    const { service, switchTo, liveModels, failing } = await indexService(2);
    await switchTo('model-b');
    failing.add('model-x');
    await expect(switchTo('model-x')).rejects.toThrow(/cannot read model model-x/);
    expect(service.status().modelId).toBe('model-b');
    expect(liveModels()).toEqual(['model-a', 'model-b']);
    expect(await service.releaseParked('model-a')).toBe(true);
    expect(await service.releaseParked('model-a')).toBe(false);
    expect(service.parkedModelIds()).toEqual([]);
    expect(liveModels()).toEqual(['model-b']);
  });
});
