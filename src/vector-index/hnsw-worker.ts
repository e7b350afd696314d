// Worker thread that owns the hnswlib graphs: graph walks, inserts and file writes run here, so the
// HTTP event loop never waits on them (an index build or catch-up used to stall every request).
// hnswlib must not insert while it searches or writes a file: see the queue at the bottom.
import * as fs from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { HierarchicalNSW } from 'hnswlib-node';
import { aliasFileOf, AliasGroups, DUPLICATE_DISTANCE } from './alias-groups';
import { cosine, exactTopK } from './exact-search';
import { GraphStats, HnswRequest, HnswResponse } from './hnsw-protocol';

/**
 * An hnswlib graph and the lesion labels on its points. Identical or near-identical embeddings
 * (within DUPLICATE_DISTANCE) share one point; every request and answer speaks in lesion labels.
 */
interface Graph {
  hnsw: HierarchicalNSW;
  groups: AliasGroups;
  efSearch: number;
}

const graphs = new Map<number, Graph>();
let nextGraph = 1;

function graphOf(id: number): Graph {
  const graph = graphs.get(id);
  if (!graph) throw new Error(`no HNSW graph ${id}`);
  return graph;
}

/** A label's point vector, or null when the label is unknown or deleted. */
function pointOf(graph: Graph, label: number): number[] | null {
  const point = graph.groups.pointOf(label);
  return point === undefined ? null : graph.hnsw.getPoint(point);
}

function queryOf(graph: Graph, request: { query?: Float32Array; label?: number }): number[] | null {
  if (request.query) return Array.from(request.query);
  return request.label === undefined ? null : pointOf(graph, request.label);
}

function remember(hnsw: HierarchicalNSW, groups: AliasGroups, efSearch: number): number {
  graphs.set(nextGraph, { hnsw, groups, efSearch });
  return nextGraph++;
}

/** Takes a label off its point; the point is marked deleted with its last member. */
function detach(graph: Graph, label: number): boolean {
  const left = graph.groups.leave(label);
  if (left?.emptied) graph.hnsw.markDelete(left.point);
  return left !== null;
}

/** Cosine distance of a vector to a stored point, in float64. */
function distanceTo(graph: Graph, vector: ArrayLike<number>, point: number): number {
  return 1 - cosine(vector, graph.hnsw.getPoint(point));
}

/** Puts a label on the point of an identical embedding, or on a new point. */
function attach(graph: Graph, label: number, vector: number[]): void {
  const { hnsw, groups } = graph;
  const current = groups.pointOf(label);
  // Re-adding the same embedding (catch-up after a snapshot) leaves the label where it is.
  if (current !== undefined && distanceTo(graph, vector, current) <= DUPLICATE_DISTANCE) return;
  if (current !== undefined) detach(graph, label);
  if (groups.pointCount > 0) {
    hnsw.setEf(graph.efSearch);
    // hnswlib finds the nearest point; float64 decides (its float32 distance is too noisy at 1e-6).
    const nearest = hnsw.searchKnn(vector, 1).neighbors[0];
    if (nearest !== undefined && distanceTo(graph, vector, nearest) <= DUPLICATE_DISTANCE) {
      groups.join(label, nearest);
      return;
    }
  }
  // Grow by half when full: hnswlib does not resize by itself (deleted points keep their slots).
  if (hnsw.getCurrentCount() >= hnsw.getMaxElements()) hnsw.resizeIndex(Math.ceil(hnsw.getMaxElements() * 1.5) + 1024);
  const point = groups.newPoint();
  hnsw.addPoint(vector, point);
  groups.join(label, point);
}

/** hnswlib's filter on points: a point passes when any of its lesions is allowed. */
function pointFilter(groups: AliasGroups, allowed: Uint8Array): (point: number) => boolean {
  const isAllowed = (label: number) => label < allowed.length && allowed[label] === 1;
  return (point) => {
    const members = groups.members(point);
    return members.length === 1 ? isAllowed(members[0]) : members.some(isAllowed);
  };
}

async function handle(request: HnswRequest): Promise<{ result: unknown; transfer?: ArrayBuffer[] }> {
  switch (request.op) {
    case 'create': {
      const hnsw = new HierarchicalNSW('cosine', request.dim);
      hnsw.initIndex({ maxElements: Math.max(request.capacity, 16), m: request.m, efConstruction: request.efConstruction, randomSeed: 100 });
      hnsw.setEf(request.efSearch);
      return { result: remember(hnsw, new AliasGroups(), request.efSearch) };
    }
    case 'read': {
      const hnsw = new HierarchicalNSW('cosine', request.dim);
      await hnsw.readIndex(request.file);
      const groups = AliasGroups.parse(await fs.readFile(aliasFileOf(request.file)));
      // ef is not stored in the file.
      hnsw.setEf(request.efSearch);
      return { result: remember(hnsw, groups, request.efSearch) };
    }
    case 'write': {
      const graph = graphOf(request.graph);
      // Taken before the graph file: both describe the same moment (inserts wait for the write).
      const aliases = graph.groups.serialize();
      await graph.hnsw.writeIndex(request.file);
      await fs.writeFile(aliasFileOf(request.file), aliases);
      return { result: null };
    }
    case 'drop':
      graphs.delete(request.graph);
      return { result: null };
    case 'add': {
      const graph = graphOf(request.graph);
      const dim = graph.hnsw.getNumDimensions();
      for (let i = 0; i < request.labels.length; i++) attach(graph, request.labels[i], Array.from(request.vectors.subarray(i * dim, (i + 1) * dim)));
      return { result: null };
    }
    case 'delete': {
      const graph = graphOf(request.graph);
      let deleted = 0;
      for (const label of request.labels) if (detach(graph, label)) deleted++;
      return { result: deleted };
    }
    case 'ids':
      return { result: Int32Array.from(graphOf(request.graph).groups.labels()) };
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
      const { hnsw, groups } = graph;
      const allowed = request.allowed;
      // Every point found brings at least one allowed lesion, so k points hold the k nearest lesions.
      const points = Math.min(request.k, groups.pointCount);
      const labels: number[] = [];
      const distances: number[] = [];
      if (points > 0) {
        hnsw.setEf(Math.max(request.ef, points));
        const found = hnsw.searchKnn(query, points, allowed ? pointFilter(groups, allowed) : undefined);
        for (let i = 0; i < found.neighbors.length && labels.length < request.k; i++) {
          for (const label of groups.members(found.neighbors[i])) {
            if (allowed && !(label < allowed.length && allowed[label] === 1)) continue;
            labels.push(label);
            distances.push(found.distances[i]);
            if (labels.length === request.k) break;
          }
        }
      }
      const result = { labels: Int32Array.from(labels), distances: Float32Array.from(distances) };
      return { result, transfer: [result.labels.buffer, result.distances.buffer] };
    }
    case 'exact': {
      const graph = graphOf(request.graph);
      const query = queryOf(graph, request);
      if (!query) return { result: null };
      // Aliases share their point's vector: read each point once.
      const vectors = new Map<number, number[]>();
      const candidates: { label: number; vector: number[] }[] = [];
      for (const label of request.labels) {
        const point = graph.groups.pointOf(label);
        if (point === undefined) continue;
        let vector = vectors.get(point);
        if (!vector) vectors.set(point, (vector = graph.hnsw.getPoint(point)));
        candidates.push({ label, vector });
      }
      const top = exactTopK(query, candidates, request.k);
      const labels = Int32Array.from(top, (t) => t.label);
      const distances = Float32Array.from(top, (t) => 1 - t.similarity);
      return { result: { labels, distances }, transfer: [labels.buffer, distances.buffer] };
    }
    case 'unfindable': {
      // A lesion is findable when searching with its own vector returns its point first, or a point
      // as near as its own (a tie, or a near-duplicate that joined an earlier point).
      const graph = graphOf(request.graph);
      const { hnsw, groups } = graph;
      const dim = hnsw.getNumDimensions();
      const missing: number[] = [];
      hnsw.setEf(graph.efSearch);
      for (let i = 0; i < request.labels.length; i++) {
        const label = request.labels[i];
        const point = groups.pointOf(label);
        if (point === undefined || groups.pointCount === 0) {
          missing.push(label);
          continue;
        }
        const vector = Array.from(request.vectors.subarray(i * dim, (i + 1) * dim));
        const found = hnsw.searchKnn(vector, 1).neighbors[0];
        if (found === point) continue;
        if (!(found !== undefined && distanceTo(graph, vector, found) >= distanceTo(graph, vector, point) - DUPLICATE_DISTANCE)) missing.push(label);
      }
      return { result: missing };
    }
    case 'stats': {
      const { hnsw, groups } = graphOf(request.graph);
      // A group whose point hnswlib no longer holds would make its lesions unfindable.
      let orphanGroups = 0;
      for (const point of groups.points()) {
        try {
          hnsw.getPoint(point);
        } catch {
          orphanGroups++;
        }
      }
      const stats: GraphStats = { lesions: groups.labelCount, points: groups.pointCount, largestGroup: groups.largestGroup(), orphanGroups };
      return { result: stats };
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
