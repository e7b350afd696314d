import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HnswRepository } from '../../src/vector-index/hnsw.repository';

const DIM = 8;
const PARAMS = { m: 8, efConstruction: 50, efSearch: 20 };

/** Unit vectors pointing mostly along one axis each, so the nearest neighbours are known. */
function rows(labels: number[]): Float32Array {
  const out = new Float32Array(labels.length * DIM);
  labels.forEach((label, i) => {
    out[i * DIM + (label % DIM)] = 1;
    out[i * DIM + ((label + 1) % DIM)] = 0.01 * (label + 1);
  });
  return out;
}

describe('HNSW graphs on the worker thread (real hnswlib)', () => {
  const repository = new HnswRepository();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hnsw-worker-'));

  afterAll(async () => {
    await repository.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('adds, searches by vector and by stored label, filters by label bitmap, and answers in call order', async () => {
    const graph = await repository.create(DIM, 4, PARAMS);
    const labels = Array.from({ length: 40 }, (_, i) => i + 1);
    // Not awaited one by one: the worker must still apply the insert before the search behind it.
    const added = graph.add(labels, rows(labels));
    const byVector = graph.search({ vector: rows([3]) }, 3, 20);
    await added;
    const found = await byVector;
    expect(found!.labels[0]).toBe(3);
    expect(found!.distances[0]).toBeCloseTo(0, 5);

    const byLabel = await graph.search({ label: 11 }, 5, 20);
    // Labels 3, 11, 19, 27, 35 share an axis: they are each other's nearest.
    expect([...byLabel!.labels].sort((a, b) => a - b)).toEqual([3, 11, 19, 27, 35]);

    const allowed = new Uint8Array(41);
    allowed[27] = 1;
    allowed[5] = 1;
    const filtered = await graph.search({ label: 11 }, 2, 20, allowed);
    expect([...filtered!.labels]).toEqual([27, 5]);

    expect(await graph.search({ label: 999 }, 2, 20)).toBeNull();
    expect(await graph.ids()).toHaveLength(40);
  });

  it('marks points deleted, reports unfindable ones, computes exact top-k, and round-trips through a file', async () => {
    const graph = await repository.create(DIM, 64, PARAMS);
    const labels = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    await graph.add(labels, rows(labels));
    expect(await graph.markDeleted([2, 2, 77])).toBe(1);
    expect(await graph.point(2)).toBeNull();
    expect((await graph.point(1))!.length).toBe(DIM);
    const after = await graph.search({ vector: rows([2]) }, 9, 20);
    expect([...after!.labels]).not.toContain(2);
    expect(await graph.unfindable([1, 3], rows([1, 3]))).toEqual([]);
    // A vector the graph does not hold (between two axes) is not found as label 3.
    const between = new Float32Array(DIM);
    between[5] = 0.7;
    between[6] = 0.7;
    expect(await graph.unfindable([3], between)).toEqual([3]);

    const exact = await graph.exact({ vector: rows([9]) }, [1, 9, 4], 2);
    expect([...exact!.labels]).toEqual([9, 1]);

    const file = path.join(dir, 'graph.hnsw');
    const checksum = await repository.save(graph, file);
    expect(fs.existsSync(file)).toBe(true);
    const reloaded = await repository.load(file, DIM, checksum, 20);
    expect((await reloaded!.search({ label: 5 }, 1, 20))!.labels[0]).toBe(5);
    expect(await repository.load(file, DIM, 'not-the-checksum', 20)).toBeNull();
  });

  it('rejects a bad call with the worker’s message and keeps serving', async () => {
    const graph = await repository.create(DIM, 16, PARAMS);
    await expect(graph.add([1], new Float32Array(3))).rejects.toThrow(/expected 1 × 8 values/);
    await expect(repository.call({ op: 'ids', graph: 12345 })).rejects.toThrow(/no HNSW graph 12345/);
    await graph.add([1], rows([1]));
    expect(await graph.ids()).toEqual([1]);
  });

  it('tells its listeners when the worker dies and starts a fresh worker on the next call', async () => {
    const lost = jest.fn();
    repository.onWorkerLost(lost);
    const graph = await repository.create(DIM, 16, PARAMS);
    await graph.add([1], rows([1]));
    const worker = (repository as unknown as { worker: { terminate(): Promise<number> } }).worker;
    await worker.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lost).toHaveBeenCalledTimes(1);
    // The old graph is gone with its worker; a new one works.
    await expect(graph.ids()).rejects.toThrow(/no HNSW graph/);
    const fresh = await repository.create(DIM, 16, PARAMS);
    await fresh.add([7], rows([7]));
    expect(await fresh.ids()).toEqual([7]);
  });
});
