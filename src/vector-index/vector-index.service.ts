import * as path from 'node:path';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EncoderService } from '../ml/encoder.service';
import { ScoredLabel } from './exact-search';
import { GraphStats, HnswNeighbours } from './hnsw-protocol';
import { HnswGraph, HnswQuery, HnswRepository } from './hnsw.repository';
import { IndexStoreRepository } from './index-store.repository';
import { filterPredicate, LesionMeta, SearchFilter } from './lesion-meta';

export interface IndexStatus {
  state: 'empty' | 'loading' | 'ready' | 'failed';
  modelId: string | null;
  points: number;
  databaseEmbeddings: number | null;
  snapshot: { points: number; takenAt: Date } | null;
  message: string | null;
}

export interface IndexHit extends ScoredLabel {
  meta: LesionMeta;
}

// Below this many matching lesions a filtered query is answered exactly: cheaper than a graph walk
// that must skip ~all nodes, and it always returns k hits when k exist.
const EXACT_FILTER_LIMIT = 5000;
const CATCH_UP_CHUNK = 2000;
// Inserts go to the worker in small batches, so queries queued behind them wait milliseconds, not seconds.
const ADD_BATCH = 256;

/**
 * The HNSW index of the active encoder's embeddings. PostgreSQL is the truth: at start the index is
 * loaded from its latest snapshot (checksum-verified) and caught up with rows added, changed or
 * deleted since, so a crash or a stale snapshot never loses or invents a lesion.
 */
@Injectable()
export class VectorIndexService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('VectorIndex');
  private index: HnswGraph | null = null;
  private modelId: string | null = null;
  private readonly meta = new Map<number, LesionMeta>();
  private readonly labelByLesion = new Map<number, number>();
  /** Indexed lesions per patient and per study: exclusion filters need only their counts. */
  private readonly perPatient = new Map<number, number>();
  private readonly perStudy = new Map<number, number>();
  /** The largest label held: the size of a filter's label bitmap. */
  private maxLabel = 0;
  /** Bumped whenever the indexed lesions change: cached pool bitmaps older than it are stale. */
  private generation = 0;
  /**
   * Label bitmaps of `lesionIds` pools, by the Set itself: tag prediction asks tens of thousands of
   * queries against one pool, and scanning every indexed lesion for each was most of its time.
   */
  private readonly poolBitmaps = new WeakMap<ReadonlySet<number>, { generation: number; allowed: Uint8Array; count: number }>();
  private state: IndexStatus['state'] = 'empty';
  private failure: string | null = null;
  private snapshotInfo: IndexStatus['snapshot'] = null;
  private addedSinceSnapshot = 0;
  /** Serialises snapshot writes: one writer at a time. */
  private snapshotChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly hnsw: HnswRepository,
    private readonly store: IndexStoreRepository,
    private readonly encoder: EncoderService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // A dead worker takes its graph with it: load again from the snapshot and the database.
    this.hnsw.onWorkerLost(() => {
      if (this.state !== 'ready') return;
      this.logger.error('The HNSW worker stopped; reloading the index');
      this.index = null;
      this.load().catch((error: Error) => {
        this.state = 'failed';
        this.failure = error.message;
        this.logger.error(`Index failed to reload: ${this.failure}`);
      });
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.encoder.status().state !== 'ready') return;
    try {
      await this.load();
    } catch (error) {
      this.state = 'failed';
      this.failure = (error as Error).message;
      this.logger.error(`Index failed to load: ${this.failure}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.snapshotIfChanged().catch((e: Error) => this.logger.error(`Snapshot at shutdown failed: ${e.message}`));
    await this.hnsw.close();
  }

  /** Loads the latest snapshot of the active model (if valid) and catches it up from the database. */
  async load(): Promise<void> {
    this.state = 'loading';
    const { modelId } = this.encoder.loaded;
    const dim = this.encoder.dim;
    const params = this.config.index;
    this.modelId = modelId;
    this.clearMeta();
    const metas = await this.store.allMeta(modelId);
    const snapshot = await this.store.latestSnapshot(modelId);
    await this.index?.drop();
    this.index = null;
    let index: HnswGraph | null = null;
    if (snapshot) {
      index = await this.hnsw.load(path.join(params.dir, snapshot.fileName), dim, snapshot.checksum, params.efSearch);
      if (!index) this.logger.warn(`Snapshot ${snapshot.fileName} is missing or corrupt; rebuilding from the database`);
    }
    const takenAt = index && snapshot ? snapshot.takenAt : null;
    index ??= await this.hnsw.create(dim, Math.ceil(metas.length * 1.25) + 1024, params);
    this.index = index;

    const inDatabase = new Set(metas.map((m) => m.label));
    const indexed = await index.ids();
    const removed = await index.markDeleted(indexed.filter((label) => !inDatabase.has(label)));
    const inIndex = new Set(indexed);
    const toAdd = metas.filter((m) => !inIndex.has(m.label) || !takenAt || m.createdAt > takenAt);
    for (const m of metas) this.remember(m);
    for (let i = 0; i < toAdd.length; i += CATCH_UP_CHUNK) {
      const chunk = toAdd.slice(i, i + CATCH_UP_CHUNK);
      await this.addPoints(chunk.map((m) => m.label), await this.store.vectors(chunk.map((m) => m.label)));
    }
    this.snapshotInfo = snapshot && takenAt ? { points: snapshot.points, takenAt } : null;
    this.addedSinceSnapshot = toAdd.length + removed;
    this.state = 'ready';
    this.logger.log(`Index ready: ${this.meta.size} lesions (${toAdd.length} caught up, ${removed} removed since the snapshot)`);
    if (this.addedSinceSnapshot > 0) await this.snapshot();
  }

  status(): IndexStatus {
    return {
      state: this.state,
      modelId: this.modelId,
      points: this.meta.size,
      databaseEmbeddings: null,
      snapshot: this.snapshotInfo,
      message: this.failure,
    };
  }

  async statusWithDatabase(): Promise<IndexStatus> {
    const status = this.status();
    return this.modelId ? { ...status, databaseEmbeddings: await this.store.countEmbeddings(this.modelId) } : status;
  }

  isReady(): boolean {
    return this.state === 'ready';
  }

  metaOf(lesionId: number): LesionMeta | null {
    const label = this.labelByLesion.get(lesionId);
    return label === undefined ? null : (this.meta.get(label) ?? null);
  }

  /** The stored vector of an indexed lesion (as held by the index, unit length). */
  async vectorOf(lesionId: number): Promise<Float32Array | null> {
    const label = this.labelByLesion.get(lesionId);
    return label === undefined || !this.index ? null : this.index.point(label);
  }

  /** Adds (or replaces) the points for these embedding labels, reading them from the database. */
  async addLabels(labels: number[]): Promise<void> {
    if (!this.isReady() || !labels.length) return;
    const [metas, vectors] = await Promise.all([this.store.metaForLabels(labels), this.store.vectors(labels)]);
    const stored = metas.filter((m) => vectors.has(m.label));
    // A re-embedded lesion has a new label: its old point goes, or it would hold a place among the neighbours.
    const replaced: number[] = [];
    for (const m of stored) {
      const previous = this.labelByLesion.get(m.lesionId);
      if (previous !== undefined && previous !== m.label) {
        this.forget(previous);
        replaced.push(previous);
      }
      this.remember(m);
    }
    await this.index!.markDeleted(replaced);
    await this.addPoints(stored.map((m) => m.label), vectors);
    this.addedSinceSnapshot += metas.length;
    if (this.addedSinceSnapshot >= this.config.index.snapshotEvery) await this.snapshot();
  }

  /** Marks a deleted lesion's point deleted; the next snapshot persists that. Searches stop returning it at once. */
  async removeLesion(lesionId: number): Promise<void> {
    const label = this.labelByLesion.get(lesionId);
    if (label === undefined) return;
    this.forget(label);
    this.addedSinceSnapshot++;
    await this.index?.markDeleted([label]);
  }

  /**
   * The k most similar indexed lesions passing the filter. Filters run inside the graph search
   * (hnswlib's label filter); very selective ones, or a filtered walk that came back short, are
   * answered exactly over the matching lesions, so k hits come back whenever k exist.
   */
  async search(query: Float32Array | { lesionId: number }, k: number, filter: SearchFilter = {}): Promise<IndexHit[]> {
    const index = this.requireIndex();
    let q: HnswQuery;
    if (query instanceof Float32Array) q = { vector: query };
    else {
      const label = this.labelByLesion.get(query.lesionId);
      if (label === undefined) return [];
      q = { label };
    }
    const efSearch = this.config.index.efSearch;
    const predicate = filterPredicate(filter);
    if (predicate && isExclusionOnly(filter)) {
      // Excluding a lesion, its patient or its study removes few points: fetch that many more
      // unfiltered neighbours and drop them, instead of a filter check per visited node.
      const wanted = Math.min(k, this.meta.size);
      const fetch = Math.min(wanted + this.excludedCount(filter), this.meta.size);
      const found = await index.search(q, fetch, Math.max(efSearch, fetch));
      const hits = this.hits(found).filter((h) => predicate(h.meta));
      if (hits.length >= wanted || (found?.labels.length ?? 0) >= this.meta.size) return hits.slice(0, wanted);
    }
    // Small pools are answered exactly below; only large ones (tag prediction's) take the cached bitmap.
    if (isPoolWithExclusions(filter) && filter.lesionIds!.size > EXACT_FILTER_LIMIT) {
      // The pool's bitmap is cached; the few excluded lesions are fetched past and dropped.
      const pool = this.poolBitmap(filter.lesionIds!);
      if (pool.count > EXACT_FILTER_LIMIT) {
        const wanted = Math.min(k, pool.count);
        const fetch = Math.min(wanted + this.excludedCount(filter), pool.count);
        const found = await index.search(q, fetch, Math.max(efSearch, fetch), pool.allowed);
        const hits = this.hits(found).filter((h) => predicate!(h.meta));
        if (hits.length >= wanted) return hits.slice(0, wanted);
      }
    }
    let matching = this.meta.size;
    let matchingLabels: number[] | null = null;
    if (predicate) {
      matchingLabels = [];
      for (const m of this.meta.values()) if (predicate(m)) matchingLabels.push(m.label);
      matching = matchingLabels.length;
    }
    const wanted = Math.min(k, matching);
    if (wanted === 0) return [];
    if (matchingLabels && matching <= EXACT_FILTER_LIMIT) return this.hits(await index.exact(q, matchingLabels, wanted));
    // The worker filters by label: one byte per label, 1 where the lesion matches.
    let allowed: Uint8Array | undefined;
    if (matchingLabels) {
      allowed = new Uint8Array(this.maxLabel + 1);
      for (const label of matchingLabels) allowed[label] = 1;
    }
    for (let ef = Math.max(efSearch, wanted); ef <= Math.max(efSearch, wanted) * 16; ef *= 4) {
      const found = await index.search(q, wanted, ef, allowed);
      if ((found?.labels.length ?? 0) >= wanted) return this.hits(found);
    }
    return this.hits(await index.exact(q, matchingLabels ?? [...this.meta.keys()], wanted));
  }

  /** At most how many lesions the filter's exclusions (lesion, patient, study) remove. */
  private excludedCount(filter: SearchFilter): number {
    const patient = filter.excludePatientId !== undefined ? (this.perPatient.get(filter.excludePatientId) ?? 0) : 0;
    const study = filter.excludeStudyId !== undefined ? (this.perStudy.get(filter.excludeStudyId) ?? 0) : 0;
    return 1 + patient + study;
  }

  /** One byte per label, 1 for the indexed lesions of the pool; computed once per pool and index state. */
  private poolBitmap(lesionIds: ReadonlySet<number>): { allowed: Uint8Array; count: number } {
    const cached = this.poolBitmaps.get(lesionIds);
    if (cached && cached.generation === this.generation) return cached;
    const allowed = new Uint8Array(this.maxLabel + 1);
    let count = 0;
    for (const lesionId of lesionIds) {
      const label = this.labelByLesion.get(lesionId);
      if (label !== undefined) {
        allowed[label] = 1;
        count++;
      }
    }
    const entry = { generation: this.generation, allowed, count };
    this.poolBitmaps.set(lesionIds, entry);
    return entry;
  }

  /** Neighbours with their metadata; points removed while the query was in flight are dropped. */
  private hits(found: HnswNeighbours | null): IndexHit[] {
    if (!found) return [];
    const hits: IndexHit[] = [];
    for (let i = 0; i < found.labels.length; i++) {
      const meta = this.meta.get(found.labels[i]);
      if (meta) hits.push({ label: found.labels[i], similarity: 1 - found.distances[i], meta });
    }
    return hits;
  }

  /**
   * Compares index and database: labels missing from the index, indexed labels the database lacks,
   * and lesions the graph cannot find (searching with a lesion's own vector must return it first,
   * or a point at the same distance). `onProgress` is told how many lesions were checked.
   */
  async verify(
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ missing: number[]; extra: number[]; unfindable: number[]; indexPoints: number; databaseEmbeddings: number; graph: GraphStats }> {
    const index = this.requireIndex();
    const metas = await this.store.allMeta(this.modelId!);
    const database = new Set(metas.map((m) => m.label));
    const missing = metas.filter((m) => !this.meta.has(m.label)).map((m) => m.label);
    const extra = [...this.meta.keys()].filter((label) => !database.has(label));
    const unfindable: number[] = [];
    const labels = [...this.meta.keys()];
    for (let i = 0; i < labels.length; i += CATCH_UP_CHUNK) {
      const chunk = labels.slice(i, i + CATCH_UP_CHUNK);
      const vectors = await this.store.vectors(chunk);
      // A label without a stored vector cannot be found either.
      unfindable.push(...chunk.filter((label) => !vectors.has(label)));
      const stored = chunk.filter((label) => vectors.has(label));
      unfindable.push(...(await index.unfindable(stored, this.packed(stored, vectors))));
      onProgress?.(Math.min(i + CATCH_UP_CHUNK, labels.length), labels.length);
    }
    // Lesions held by the graph (through their points) must be the lesions indexed here.
    const graph = await index.stats();
    return { missing, extra, unfindable, indexPoints: this.meta.size, databaseEmbeddings: metas.length, graph };
  }

  /** Rebuilds the index from the database alone (no snapshot), then snapshots it. */
  async rebuild(): Promise<void> {
    const { modelId } = this.encoder.loaded;
    const metas = await this.store.allMeta(modelId);
    this.clearMeta();
    await this.index?.drop();
    this.index = null;
    const index = await this.hnsw.create(this.encoder.dim, Math.ceil(metas.length * 1.25) + 1024, this.config.index);
    this.index = index;
    for (let i = 0; i < metas.length; i += CATCH_UP_CHUNK) {
      const chunk = metas.slice(i, i + CATCH_UP_CHUNK);
      const vectors = await this.store.vectors(chunk.map((m) => m.label));
      const stored = chunk.filter((m) => vectors.has(m.label));
      for (const m of stored) this.remember(m);
      await this.addPoints(stored.map((m) => m.label), vectors);
    }
    this.modelId = modelId;
    this.state = 'ready';
    this.addedSinceSnapshot = metas.length;
    await this.snapshot();
  }

  /** Snapshots when points were added or removed since the last snapshot. */
  async snapshotIfChanged(): Promise<void> {
    if (this.isReady() && this.addedSinceSnapshot > 0) await this.snapshot();
  }

  /** Writes a snapshot (temporary file, then rename) and records it; one writer at a time. */
  snapshot(): Promise<void> {
    const run = this.snapshotChain.then(async () => {
      const index = this.requireIndex();
      const modelId = this.modelId!;
      // Rows written from this instant on are caught up at the next load.
      const takenAt = await this.store.now();
      const pending = this.addedSinceSnapshot;
      const fileName = `${modelId.slice(0, 16)}-${takenAt.getTime()}.hnsw`;
      const checksum = await this.hnsw.save(index, path.join(this.config.index.dir, fileName));
      const stale = await this.store.recordSnapshot(modelId, { fileName, points: this.meta.size, checksum, takenAt });
      await Promise.all(stale.map((name) => this.hnsw.remove(path.join(this.config.index.dir, name))));
      this.snapshotInfo = { points: this.meta.size, takenAt };
      this.addedSinceSnapshot = Math.max(0, this.addedSinceSnapshot - pending);
    });
    this.snapshotChain = run.catch(() => undefined);
    return run;
  }

  /** Sends points to the graph in small batches (labels whose vector is missing are skipped). */
  private async addPoints(labels: number[], vectors: Map<number, Float32Array>): Promise<void> {
    const index = this.index!;
    const present = labels.filter((label) => vectors.has(label));
    for (let i = 0; i < present.length; i += ADD_BATCH) {
      const batch = present.slice(i, i + ADD_BATCH);
      await index.add(batch, this.packed(batch, vectors));
    }
  }

  /** The labels' vectors in one row-major array, as the worker takes them. */
  private packed(labels: number[], vectors: Map<number, Float32Array>): Float32Array {
    const dim = this.index!.dim;
    const rows = new Float32Array(labels.length * dim);
    labels.forEach((label, i) => rows.set(vectors.get(label)!, i * dim));
    return rows;
  }

  private remember(m: LesionMeta): void {
    const { label, lesionId, patientId, studyId, coarseType, sex, ageYears, longAxisMm, split, location } = m;
    if (!this.meta.has(label)) {
      this.perPatient.set(patientId, (this.perPatient.get(patientId) ?? 0) + 1);
      this.perStudy.set(studyId, (this.perStudy.get(studyId) ?? 0) + 1);
    }
    this.meta.set(label, { label, lesionId, patientId, studyId, coarseType, sex, ageYears, longAxisMm, split, location });
    if (label > this.maxLabel) this.maxLabel = label;
    this.labelByLesion.set(lesionId, label);
    this.generation++;
  }

  private clearMeta(): void {
    this.meta.clear();
    this.labelByLesion.clear();
    this.perPatient.clear();
    this.perStudy.clear();
    this.maxLabel = 0;
    this.generation++;
  }

  private forget(label: number): void {
    const m = this.meta.get(label);
    if (m && this.labelByLesion.get(m.lesionId) === label) this.labelByLesion.delete(m.lesionId);
    if (m) {
      this.perPatient.set(m.patientId, (this.perPatient.get(m.patientId) ?? 1) - 1);
      this.perStudy.set(m.studyId, (this.perStudy.get(m.studyId) ?? 1) - 1);
    }
    this.meta.delete(label);
    this.generation++;
  }

  private requireIndex(): HnswGraph {
    if (!this.index || this.state !== 'ready') throw new Error(this.failure ? `the index failed to load: ${this.failure}` : 'the index is not loaded');
    return this.index;
  }
}

/** True when the filter only excludes a lesion, a patient or a study (the default query). */
/** A `lesionIds` pool and nothing else but exclusions (how tag prediction asks). */
function isPoolWithExclusions(filter: SearchFilter): boolean {
  const { lesionIds, ...rest } = filter;
  return lesionIds !== undefined && isExclusionOnly(rest);
}

function isExclusionOnly(filter: SearchFilter): boolean {
  const { excludeLesionId, excludePatientId, excludeStudyId, ...rest } = filter;
  void excludeLesionId;
  void excludePatientId;
  void excludeStudyId;
  return Object.values(rest).every((v) => v === undefined || (Array.isArray(v) && v.length === 0));
}
