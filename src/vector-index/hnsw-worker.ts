// Worker thread that owns the hnswlib graphs: graph walks, inserts and file writes run here, so the
// HTTP event loop never waits on them (an index build or catch-up used to stall every request).
// hnswlib must not insert while it searches or writes a file: see the queue at the bottom.
import { parentPort } from 'node:worker_threads';
import { HierarchicalNSW } from 'hnswlib-node';
import { exactTopK } from './exact-search';
import { HnswRequest, HnswResponse } from './hnsw-protocol';

const graphs = new Map<number, HierarchicalNSW>();
let nextGraph = 1;

function graphOf(id: number): HierarchicalNSW {
  const graph = graphs.get(id);
  if (!graph) throw new Error(`no HNSW graph ${id}`);
  return graph;
}

/** A stored point, or null when the label is unknown or deleted (hnswlib throws for those). */
function pointOf(graph: HierarchicalNSW, label: number): number[] | null {
  try {
    return graph.getPoint(label);
  } catch {
    return null;
  }
}

function queryOf(graph: HierarchicalNSW, request: { query?: Float32Array; label?: number }): number[] | null {
  if (request.query) return Array.from(request.query);
  return request.label === undefined ? null : pointOf(graph, request.label);
}

async function handle(request: HnswRequest): Promise<{ result: unknown; transfer?: ArrayBuffer[] }> {
  switch (request.op) {
    case 'create': {
      const graph = new HierarchicalNSW('cosine', request.dim);
      graph.initIndex({ maxElements: Math.max(request.capacity, 16), m: request.m, efConstruction: request.efConstruction, randomSeed: 100 });
      graph.setEf(request.efSearch);
      graphs.set(nextGraph, graph);
      return { result: nextGraph++ };
    }
    case 'read': {
      const graph = new HierarchicalNSW('cosine', request.dim);
      await graph.readIndex(request.file);
      // ef is not stored in the file.
      graph.setEf(request.efSearch);
      graphs.set(nextGraph, graph);
      return { result: nextGraph++ };
    }
    case 'write':
      await graphOf(request.graph).writeIndex(request.file);
      return { result: null };
    case 'drop':
      graphs.delete(request.graph);
      return { result: null };
    case 'add': {
      const graph = graphOf(request.graph);
      const dim = graph.getNumDimensions();
      for (let i = 0; i < request.labels.length; i++) {
        // Grow by half when full: hnswlib does not resize by itself.
        if (graph.getCurrentCount() >= graph.getMaxElements()) graph.resizeIndex(Math.ceil(graph.getMaxElements() * 1.5) + 1024);
        graph.addPoint(Array.from(request.vectors.subarray(i * dim, (i + 1) * dim)), request.labels[i]);
      }
      return { result: null };
    }
    case 'delete': {
      const graph = graphOf(request.graph);
      let deleted = 0;
      for (const label of request.labels) {
        try {
          graph.markDelete(label);
          deleted++;
        } catch {
          // unknown or already deleted
        }
      }
      return { result: deleted };
    }
    case 'ids':
      return { result: Int32Array.from(graphOf(request.graph).getIdsList()) };
    case 'point': {
      const point = pointOf(graphOf(request.graph), request.label);
      if (!point) return { result: null };
      const vector = Float32Array.from(point);
      return { result: vector, transfer: [vector.buffer as ArrayBuffer] };
    }
    case 'search': {
      const graph = graphOf(request.graph);
      const query = queryOf(graph, request);
      if (!query) return { result: null };
      const allowed = request.allowed;
      graph.setEf(Math.max(request.ef, request.k));
      const found = graph.searchKnn(query, request.k, allowed ? (label: number) => label < allowed.length && allowed[label] === 1 : undefined);
      const labels = Int32Array.from(found.neighbors);
      const distances = Float32Array.from(found.distances);
      return { result: { labels, distances }, transfer: [labels.buffer, distances.buffer] };
    }
    case 'exact': {
      const graph = graphOf(request.graph);
      const query = queryOf(graph, request);
      if (!query) return { result: null };
      const candidates = Array.from(request.labels, (label) => ({ label, vector: graph.getPoint(label) }));
      const top = exactTopK(query, candidates, request.k);
      const labels = Int32Array.from(top, (t) => t.label);
      const distances = Float32Array.from(top, (t) => 1 - t.similarity);
      return { result: { labels, distances }, transfer: [labels.buffer, distances.buffer] };
    }
    case 'unfindable': {
      // A point is findable when searching with its own vector returns it first (or a duplicate at distance 0).
      const graph = graphOf(request.graph);
      const dim = graph.getNumDimensions();
      const missing: number[] = [];
      for (let i = 0; i < request.labels.length; i++) {
        const found = graph.searchKnn(Array.from(request.vectors.subarray(i * dim, (i + 1) * dim)), 1);
        if (!(found.neighbors[0] === request.labels[i] || (found.distances[0] ?? 1) < 1e-6)) missing.push(request.labels[i]);
      }
      return { result: missing };
    }
  }
}

async function answer(request: HnswRequest): Promise<void> {
  let response: HnswResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const done = await handle(request);
    response = { id: request.id, result: done.result };
    transfer = done.transfer ?? [];
  } catch (error) {
    response = { id: request.id, error: (error as Error).message };
  }
  parentPort!.postMessage(response, transfer);
}

// Calls start in the order they arrive. A snapshot write (minutes of disk at a million points) runs
// on libuv's pool while later searches go on, since both only read the graph; inserts and deletions
// wait until the file is written, so it holds exactly the points added before it.
const MUTATING = new Set<HnswRequest['op']>(['add', 'delete', 'drop']);
let queue: Promise<unknown> = Promise.resolve();
let writing: Promise<unknown> = Promise.resolve();
parentPort!.on('message', (request: HnswRequest) => {
  if (request.op === 'write') {
    const started = queue.then(() => answer(request));
    writing = Promise.all([writing, started]);
  } else if (MUTATING.has(request.op)) {
    const after = Promise.all([queue, writing]);
    queue = after.then(() => answer(request));
  } else {
    queue = queue.then(() => answer(request));
  }
});
