import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Injectable } from '@nestjs/common';
import { crashPoint } from '../common/crash-point';
import { startWorker } from '../common/start-worker';
import { aliasFileOf } from './alias-groups';
import { GraphStats, HnswNeighbours, HnswRequest, HnswResponse } from './hnsw-protocol';

export interface HnswParams {
  m: number;
  efConstruction: number;
  efSearch: number;
}

type Payload<T> = T extends unknown ? Omit<T, 'id'> : never;

/** One query: a vector, or the stored vector of a label (which then never leaves the worker). */
export type HnswQuery = { vector: Float32Array } | { label: number };

/**
 * One HNSW graph living in the worker thread. Cosine space: hnswlib normalises vectors on insert
 * and query. Calls take effect in the order they were made (a search made after an insert sees it).
 * Labels are lesions: identical embeddings are stored once, and each lesion is still its own hit.
 */
export class HnswGraph {
  constructor(
    private readonly repository: HnswRepository,
    readonly id: number,
    readonly dim: number,
  ) {}

  /** Inserts or replaces points: `vectors` holds one row of `dim` values per label. */
  async add(labels: number[], vectors: Float32Array): Promise<void> {
    if (vectors.length !== labels.length * this.dim) throw new Error(`expected ${labels.length} × ${this.dim} values, got ${vectors.length}`);
    if (!labels.length) return;
    await this.repository.call({ op: 'add', graph: this.id, labels: Int32Array.from(labels), vectors }, [vectors.buffer as ArrayBuffer]);
  }

  /** Marks points deleted; returns how many were live. */
  markDeleted(labels: number[]): Promise<number> {
    return labels.length ? this.repository.call({ op: 'delete', graph: this.id, labels }) : Promise.resolve(0);
  }

  async ids(): Promise<number[]> {
    return Array.from(await this.repository.call<Int32Array>({ op: 'ids', graph: this.id }));
  }

  /** The stored (normalised) vector, or null for an unknown or deleted label. */
  point(label: number): Promise<Float32Array | null> {
    return this.repository.call({ op: 'point', graph: this.id, label });
  }

  /** k nearest neighbours, walking with at least `ef` candidates; `allowed[label] === 1` filters. Null when a label query has no point. */
  search(query: HnswQuery, k: number, ef: number, allowed?: Uint8Array): Promise<HnswNeighbours | null> {
    return this.repository.call({ op: 'search', graph: this.id, ...queryFields(query), k, ef, ...(allowed ? { allowed } : {}) });
  }

  /** Exact top-k over the given labels. */
  exact(query: HnswQuery, labels: number[], k: number): Promise<HnswNeighbours | null> {
    return this.repository.call({ op: 'exact', graph: this.id, ...queryFields(query), labels: Int32Array.from(labels), k });
  }

  /** Labels that a search with their own vector does not find first. */
  unfindable(labels: number[], vectors: Float32Array): Promise<number[]> {
    return this.repository.call({ op: 'unfindable', graph: this.id, labels: Int32Array.from(labels), vectors }, [vectors.buffer as ArrayBuffer]);
  }

  /** Lesions, points and alias groups, for verification. */
  stats(): Promise<GraphStats> {
    return this.repository.call({ op: 'stats', graph: this.id });
  }

  /** Writes the graph to `file` and its alias groups beside it. */
  write(file: string): Promise<void> {
    return this.repository.call({ op: 'write', graph: this.id, file });
  }

  drop(): Promise<void> {
    return this.repository.call({ op: 'drop', graph: this.id });
  }
}

function queryFields(query: HnswQuery): { query: Float32Array } | { label: number } {
  return 'vector' in query ? { query: query.vector } : { label: query.label };
}

/**
 * hnswlib-node and its files. The graphs live on one worker thread, started on first use; the
 * worker holds the event loop open only while a call is outstanding.
 */
@Injectable()
export class HnswRepository {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private readonly lostListeners: (() => void)[] = [];

  /** Called when the worker dies unexpectedly: its graphs are gone and must be loaded again. */
  onWorkerLost(listener: () => void): void {
    this.lostListeners.push(listener);
  }

  async create(dim: number, capacity: number, params: HnswParams): Promise<HnswGraph> {
    const id = await this.call<number>({ op: 'create', dim, capacity, m: params.m, efConstruction: params.efConstruction, efSearch: params.efSearch });
    return new HnswGraph(this, id, dim);
  }

  /**
   * Reads a snapshot after checking its checksum; null when a file is missing or does not match. A
   * snapshot without an alias table predates duplicate grouping: its graph may hold unreachable
   * copies, so it is rebuilt from the database rather than loaded.
   */
  async load(file: string, dim: number, checksum: string, efSearch: number): Promise<HnswGraph | null> {
    const actual = await snapshotChecksum(file).catch(() => null);
    if (actual !== checksum) return null;
    const id = await this.call<number>({ op: 'read', dim, file, efSearch });
    return new HnswGraph(this, id, dim);
  }

  /**
   * Writes to temporary files and renames them into place, so a crash never leaves half a snapshot;
   * the checksum covers the graph and its alias table (renamed first: a graph file is never newer).
   */
  async save(graph: HnswGraph, file: string): Promise<string> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.tmp-${process.pid}`;
    await graph.write(temporary);
    const checksum = await snapshotChecksum(temporary);
    crashPoint('index-snapshot-before-rename');
    await fs.rename(aliasFileOf(temporary), aliasFileOf(file));
    await fs.rename(temporary, file);
    return checksum;
  }

  async remove(file: string): Promise<void> {
    await fs.rm(file, { force: true });
    await fs.rm(aliasFileOf(file), { force: true });
  }

  /** Stops the worker (its graphs go with it). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  call<T>(request: Payload<HnswRequest>, transfer: ArrayBuffer[] = []): Promise<T> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve: resolve as (value: never) => void, reject });
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker(__dirname, 'hnsw-worker');
    worker.on('message', (response: HnswResponse) => {
      const waiting = this.pending.get(response.id);
      this.pending.delete(response.id);
      if (this.pending.size === 0) worker.unref();
      if (!waiting) return;
      if ('error' in response) waiting.reject(new Error(response.error));
      else waiting.resolve(response.result as never);
    });
    // A dead worker must not leave callers waiting forever; the next call starts a fresh one.
    const fail = (error: Error) => {
      const unexpected = this.worker === worker;
      if (unexpected) this.worker = null;
      for (const { reject } of this.pending.values()) reject(new Error(`HNSW worker failed: ${error.message}`));
      this.pending.clear();
      if (unexpected) for (const listener of this.lostListeners) listener();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

/** sha256 of a graph file followed by its alias table, streamed (a 1M-lesion snapshot is over 2 GiB). */
async function snapshotChecksum(file: string): Promise<string> {
  const hash = createHash('sha256');
  for (const part of [file, aliasFileOf(file)]) for await (const chunk of createReadStream(part)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
