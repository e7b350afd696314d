/**
 * Messages between the HNSW worker thread and its client (HnswRepository). Requests and answers speak
 * in lesion (embedding) labels; identical embeddings share one graph point inside the worker.
 */
export type HnswRequest = { id: number } & (
  | { op: 'create'; dim: number; capacity: number; m: number; efConstruction: number; efSearch: number }
  | { op: 'read'; dim: number; file: string; efSearch: number }
  | { op: 'write'; graph: number; file: string }
  | { op: 'drop'; graph: number }
  /** Inserts (or replaces) lesions; `vectors` holds labels.length rows of the graph's dimension. */
  | { op: 'add'; graph: number; labels: Int32Array; vectors: Float32Array }
  | { op: 'delete'; graph: number; labels: number[] }
  | { op: 'ids'; graph: number }
  | { op: 'point'; graph: number; label: number }
  /**
   * k nearest lesions of a query vector or of a stored lesion's vector; `allowed[label] === 1` filters by
   * label. The lesions sharing a point are each a hit at the point's distance, in label order.
   */
  | { op: 'search'; graph: number; query?: Float32Array; label?: number; k: number; ef: number; allowed?: Uint8Array }
  /** Exact top-k over the given labels only. */
  | { op: 'exact'; graph: number; query?: Float32Array; label?: number; labels: Int32Array; k: number }
  /** Labels whose own vector does not find their point first. */
  | { op: 'unfindable'; graph: number; labels: Int32Array; vectors: Float32Array }
  | { op: 'stats'; graph: number }
);

/** Lesions and points of a graph. */
export interface GraphStats {
  lesions: number;
  /** Live graph points: fewer than lesions where embeddings are identical. */
  points: number;
  /** The most lesions sharing one point. */
  largestGroup: number;
  /** Groups whose point the graph lost (should be 0). */
  orphanGroups: number;
}

export type HnswResponse = { id: number; result: unknown } | { id: number; error: string };

/** Labels and cosine distances, nearest first. */
export interface HnswNeighbours {
  labels: Int32Array;
  distances: Float32Array;
}
