import * as path from 'node:path';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ChangeFeedService } from '../change-log/change-feed.service';
import { ChangeLogRepository } from '../change-log/change-log.repository';
import { ChangeEntry } from '../change-log/cursor';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EncoderService } from '../ml/encoder.service';
import { ParkedModels } from '../ml/parked-models';
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
  snapshot: { points: number; takenAt: Date; logPosition: number | null } | null;
  message: string | null;
  /** Where this process stands in the change log; head and lag are filled in by statusWithDatabase. */
  log: {
    position: number;
    appliedThrough: number;
    head: number | null;
    lagEntries: number | null;
    lagMs: number | null;
    lastPropagationMs: number | null;
    listening: boolean;
  };
  /** Whether this process writes the model's snapshots (one process per model holds that lock). */
  snapshotOwner: boolean;
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
// The snapshot owner writes a snapshot once changes have been quiet this long (an import in another process has ended).
const SNAPSHOT_IDLE_MS = 30_000;

/**
 * The HNSW index of the active encoder's embeddings. PostgreSQL is the truth: at start the index is
 * loaded from its latest snapshot (checksum-verified) and caught up with rows added, changed or
 * deleted since, so a crash or a stale snapshot never loses or invents a lesion. Afterwards every
 * change, whichever process made it, reaches the index through the change log (ChangeFeedService):
 * its entries name labels and lesions, which are re-read and reconciled. Only the process holding
 * the model's snapshot lock writes snapshots; each records the log position it contains.
 */
@Injectable()
export class VectorIndexService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('VectorIndex');
  private index: HnswGraph | null = null;
  private modelId: string | null = null;
  // Replaced (not cleared) when the active model switches: a search in flight keeps the maps it started with.
  private meta = new Map<number, LesionMeta>();
  private labelByLesion = new Map<number, number>();
  private readonly datasetNames = new Map<string, string>();
  /** Indexed lesions per patient and per study: exclusion filters need only their counts. */
  private perPatient = new Map<number, number>();
  private perStudy = new Map<number, number>();
  /**
   * Graphs of models switched away from, kept so that switching back needs only a catch-up: at most
   * PARKED_MODELS, least recently parked first (the first to be dropped).
   */
  private readonly parked = new ParkedModels<HnswGraph>();
  /** The model whose graph is being built beside the live one: its log entries are kept for after the switch. */
  private switchingTo: string | null = null;
  /** Labels of that model the log named during the build (new or rewritten vectors): re-read at the switch. */
  private switchPending = new Set<number>();
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
  /** Serialises reconciliations, so an older read of a row never overwrites a newer one. */
  private applyChain: Promise<unknown> = Promise.resolve();
  /** Labels and lesions named by the log while the index loads: reconciled once it is loaded. */
  private pending: { labels: Set<number>; lesions: Set<number> } | null = null;
  private snapshotOwner = false;
  private idleSnapshotTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly hnsw: HnswRepository,
    private readonly store: IndexStoreRepository,
    private readonly encoder: EncoderService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly changes: ChangeFeedService,
    private readonly changeLog: ChangeLogRepository,
  ) {
    this.changes.subscribe((entries) => this.applyChanges(entries));
    // A dead worker takes its graph with it: load again from the snapshot and the database.
    this.hnsw.onWorkerLost(() => {
      if (this.state !== 'ready') return;
      this.logger.error('The HNSW worker stopped; reloading the index');
      this.index = null;
      // Parked graphs died with the worker.
      this.parked.drain();
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

  /** Before the change feed lets go of its connection, which holds the snapshot lock. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.idleSnapshotTimer) clearTimeout(this.idleSnapshotTimer);
    await this.snapshotIfChanged().catch((e: Error) => this.logger.error(`Snapshot at shutdown failed: ${e.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.hnsw.close();
  }

  /** Loads the latest snapshot of the active model (if valid) and catches it up from the database. */
  async load(): Promise<void> {
    this.state = 'loading';
    this.pending = { labels: new Set(), lesions: new Set() };
    // A reconciliation in flight finishes first; whatever the log names from now on waits in `pending`.
    await this.applyChain;
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
    // Vectors rewritten after the snapshot (same label): from the log when it reaches back that far, else by time.
    const rewritten = index && snapshot?.logPosition != null ? await this.changeLog.embeddingLabelsSince(modelId, snapshot.logPosition) : null;
    const changedSince = rewritten ? new Set(rewritten) : null;
    index ??= await this.hnsw.create(dim, Math.ceil(metas.length * 1.25) + 1024, params);
    this.index = index;

    const inDatabase = new Set(metas.map((m) => m.label));
    const indexed = await index.ids();
    const removed = await index.markDeleted(indexed.filter((label) => !inDatabase.has(label)));
    const inIndex = new Set(indexed);
    const toAdd = metas.filter((m) => !inIndex.has(m.label) || !takenAt || (changedSince ? changedSince.has(m.label) : m.createdAt > takenAt));
    for (const m of metas) this.remember(m);
    for (let i = 0; i < toAdd.length; i += CATCH_UP_CHUNK) {
      const chunk = toAdd.slice(i, i + CATCH_UP_CHUNK);
      await this.addPoints(
        chunk.map((m) => m.label),
        await this.store.vectors(chunk.map((m) => m.label)),
      );
    }
    this.snapshotInfo = snapshot && takenAt ? { points: snapshot.points, takenAt, logPosition: snapshot.logPosition } : null;
    this.addedSinceSnapshot = toAdd.length + removed;
    await this.becomeReady();
    this.logger.log(`Index ready: ${this.meta.size} lesions (${toAdd.length} caught up, ${removed} removed since the snapshot)`);
    if (this.addedSinceSnapshot > 0) await this.snapshot();
  }

  /** Ready, after reconciling what the log named while loading (it may or may not be in what was loaded). */
  private becomeReady(): Promise<void> {
    return this.enqueue(async () => {
      // The first process to load a model owns its snapshots from then on (a CLI command beside a running service does not).
      this.snapshotOwner = await this.changes.tryOwn(`vector-index-snapshot:${this.modelId}`).catch(() => false);
      this.state = 'ready';
      const pending = this.pending;
      this.pending = null;
      if (pending && (pending.labels.size || pending.lesions.size)) await this.reconcile(pending.labels, pending.lesions);
    });
  }

  status(): IndexStatus {
    const feed = this.changes.status();
    return {
      state: this.state,
      modelId: this.modelId,
      points: this.meta.size,
      databaseEmbeddings: null,
      snapshot: this.snapshotInfo,
      message: this.failure,
      log: {
        position: feed.position,
        appliedThrough: feed.appliedThrough,
        head: null,
        lagEntries: null,
        lagMs: null,
        lastPropagationMs: feed.lastPropagationMs,
        listening: feed.listening,
      },
      snapshotOwner: this.snapshotOwner,
    };
  }

  /** The status with the database's embedding count and this process's lag behind the change log. */
  async statusWithDatabase(): Promise<IndexStatus> {
    const status = this.status();
    const [embeddings, lag] = await Promise.all([this.modelId ? this.store.countEmbeddings(this.modelId) : null, this.changes.lag()]);
    return {
      ...status,
      databaseEmbeddings: embeddings,
      log: { ...status.log, head: lag.head, lagEntries: Math.max(0, lag.head - status.log.position), lagMs: lag.lagMs },
    };
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

  /**
   * Called by a writer after committing embeddings: applies the change log up to now, which holds
   * them (the log is the one path into the index, for this process as for every other).
   */
  async addLabels(labels: number[]): Promise<void> {
    if (labels.length) await this.changes.syncNow();
  }

  /** Called after a lesion was deleted: once this resolves, this process's searches no longer return it. */
  async removeLesion(lesionId: number): Promise<void> {
    if (this.labelByLesion.has(lesionId)) await this.changes.syncNow();
  }

  /** The log's entries for this index: labels of the active model and lesions whose metadata changed. */
  private async applyChanges(entries: ChangeEntry[]): Promise<void> {
    const labelModels = new Map<number, string>();
    const lesions = new Set<number>();
    for (const e of entries) {
      if (e.key === null) continue;
      if (e.kind === 'embedding' && e.modelId === this.switchingTo) this.switchPending.add(e.key);
      if (e.kind === 'embedding' && this.modelId !== null && e.modelId === this.modelId) labelModels.set(e.key, this.modelId);
      else if (e.kind === 'lesion') lesions.add(e.key);
    }
    if (!labelModels.size && !lesions.size) return;
    await this.enqueue(async () => {
      // The model is read here, in order with a switch queued before this work.
      const labels = new Set([...labelModels].filter(([, modelId]) => modelId === this.modelId).map(([label]) => label));
      if (this.state === 'loading' && this.pending) {
        for (const label of labels) this.pending.labels.add(label);
        for (const lesion of lesions) this.pending.lesions.add(lesion);
        return;
      }
      // Not loaded (no encoder, or failed): a later load reads everything from the database.
      if (this.state !== 'ready') return;
      await this.reconcile(labels, lesions);
    });
    if (this.addedSinceSnapshot >= this.config.index.snapshotEvery) await this.snapshot();
    else this.snapshotWhenIdle();
  }

  /**
   * Makes the index agree with the database for these labels and lesions: new or rewritten vectors
   * are (re)inserted, vanished ones marked deleted, changed metadata replaced. Idempotent, so an
   * entry applied twice or out of order does no harm.
   */
  private async reconcile(labels: Set<number>, lesions: Set<number>): Promise<void> {
    const index = this.index!;
    const rows = await this.store.metaForLabelsOrLesions(this.modelId!, [...labels], [...lesions]);
    const current = new Map(rows.map((m) => [m.label, m]));
    const currentByLesion = new Map(rows.map((m) => [m.lesionId, m.label]));
    const deleted: number[] = [];
    const drop = (label: number) => {
      if (!this.meta.has(label)) return;
      this.forget(label);
      deleted.push(label);
    };
    for (const label of labels) if (!current.has(label)) drop(label);
    for (const lesionId of lesions) {
      const held = this.labelByLesion.get(lesionId);
      if (held !== undefined && currentByLesion.get(lesionId) !== held) drop(held);
    }
    const toAdd: number[] = [];
    for (const m of rows) {
      // A re-embedded lesion has a new label: its old point goes, or it would hold a place among the neighbours.
      const previous = this.labelByLesion.get(m.lesionId);
      if (previous !== undefined && previous !== m.label) drop(previous);
      const known = this.meta.has(m.label);
      // Forget first: patient and study counts follow a lesion whose metadata moved.
      if (known) this.forget(m.label);
      this.remember(m);
      if (!known || labels.has(m.label)) toAdd.push(m.label);
    }
    await index.markDeleted(deleted);
    for (let i = 0; i < toAdd.length; i += CATCH_UP_CHUNK) {
      const chunk = toAdd.slice(i, i + CATCH_UP_CHUNK);
      await this.addPoints(chunk, await this.store.vectors(chunk));
    }
    this.addedSinceSnapshot += toAdd.length + deleted.length;
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.applyChain.then(work);
    this.applyChain = run.catch(() => undefined);
    return run;
  }

  /** The owner snapshots once an import elsewhere has gone quiet (it never hears that the import ended). */
  private snapshotWhenIdle(): void {
    if (this.idleSnapshotTimer) clearTimeout(this.idleSnapshotTimer);
    this.idleSnapshotTimer = setTimeout(() => {
      this.idleSnapshotTimer = null;
      this.snapshotIfChanged().catch((e: Error) => this.logger.warn(`Snapshot failed: ${e.message}`));
    }, SNAPSHOT_IDLE_MS);
    this.idleSnapshotTimer.unref();
  }

  /**
   * The k most similar indexed lesions passing the filter. Filters run inside the graph search
   * (hnswlib's label filter); very selective ones, or a filtered walk that came back short, are
   * answered exactly over the matching lesions, so k hits come back whenever k exist.
   */
  async search(query: Float32Array | { lesionId: number }, k: number, filter: SearchFilter = {}): Promise<IndexHit[]> {
    const index = this.requireIndex();
    const meta = this.meta;
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
      const hits = this.hits(found, meta).filter((h) => predicate(h.meta));
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
        const hits = this.hits(found, meta).filter((h) => predicate!(h.meta));
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
    if (matchingLabels && matching <= EXACT_FILTER_LIMIT) return this.hits(await index.exact(q, matchingLabels, wanted), meta);
    // The worker filters by label: one byte per label, 1 where the lesion matches.
    let allowed: Uint8Array | undefined;
    if (matchingLabels) {
      allowed = new Uint8Array(this.maxLabel + 1);
      for (const label of matchingLabels) allowed[label] = 1;
    }
    for (let ef = Math.max(efSearch, wanted); ef <= Math.max(efSearch, wanted) * 16; ef *= 4) {
      const found = await index.search(q, wanted, ef, allowed);
      if ((found?.labels.length ?? 0) >= wanted) return this.hits(found, meta);
    }
    return this.hits(await index.exact(q, matchingLabels ?? [...this.meta.keys()], wanted), meta);
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
  private hits(found: HnswNeighbours | null, metas: Map<number, LesionMeta>): IndexHit[] {
    if (!found) return [];
    const hits: IndexHit[] = [];
    for (let i = 0; i < found.labels.length; i++) {
      const meta = metas.get(found.labels[i]);
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

  /** Rebuilds the index from the database alone (no snapshot), then snapshots it; false when another process owns the snapshots. */
  async rebuild(): Promise<boolean> {
    this.state = 'loading';
    this.pending = { labels: new Set(), lesions: new Set() };
    await this.applyChain;
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
      await this.addPoints(
        stored.map((m) => m.label),
        vectors,
      );
    }
    this.modelId = modelId;
    await this.becomeReady();
    this.addedSinceSnapshot = metas.length;
    return this.snapshot();
  }

  /** Snapshots when points were added or removed since the last snapshot. */
  async snapshotIfChanged(): Promise<void> {
    if (this.isReady() && this.addedSinceSnapshot > 0) await this.snapshot();
  }

  /**
   * Writes a snapshot (temporary file, then rename) and records it; one writer at a time, and only in
   * the process holding the model's snapshot lock (others would race it for the same files and rows).
   * Resolves to false when another process owns the snapshots.
   */
  snapshot(): Promise<boolean> {
    const run = this.snapshotChain.then(async () => {
      const index = this.requireIndex();
      const modelId = this.modelId!;
      this.snapshotOwner = await this.changes.tryOwn(`vector-index-snapshot:${modelId}`);
      if (!this.snapshotOwner) return false;
      // Every log entry up to here is in the graph (entries are applied before the cursor moves); later ones are replayed at load.
      const logPosition = this.changes.status().appliedThrough;
      // Rows written from this instant on are caught up at the next load (when the log no longer reaches back).
      const takenAt = await this.store.now();
      const pending = this.addedSinceSnapshot;
      const points = this.meta.size;
      const fileName = `${modelId.slice(0, 16)}-${takenAt.getTime()}.hnsw`;
      const checksum = await this.hnsw.save(index, path.join(this.config.index.dir, fileName));
      const stale = await this.store.recordSnapshot(modelId, { fileName, points, checksum, takenAt, logPosition });
      await Promise.all(stale.map((name) => this.hnsw.remove(path.join(this.config.index.dir, name))));
      this.snapshotInfo = { points, takenAt, logPosition };
      this.addedSinceSnapshot = Math.max(0, this.addedSinceSnapshot - pending);
      await this.changeLog.prune(logPosition, this.config.changeLog.retentionHours);
      return true;
    });
    this.snapshotChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Makes `modelId` the indexed model without a moment of downtime: its graph is built (or a parked one
   * caught up) beside the live one while the live one answers and the log keeps being applied to it; then,
   * in order with the log, a short catch-up and the switch of graph, metadata and `onSwap` (the encoder's
   * switch) in one synchronous step. The old graph is parked for switching back (the least recently parked
   * beyond PARKED_MODELS are dropped); a graph whose build or catch-up failed is dropped at once.
   */
  async switchModel(modelId: string, dim: number, onSwap: () => void): Promise<void> {
    if (modelId === this.modelId && this.state === 'ready') {
      onSwap();
      return;
    }
    this.switchingTo = modelId;
    this.switchPending = new Set();
    let graph: HnswGraph | null = null;
    let switched = false;
    try {
      const parked = this.parked.take(modelId) ?? null;
      if (parked && parked.dim !== dim) await this.dropGraph(parked, modelId);
      const capacity = Math.ceil((await this.store.countEmbeddings(modelId)) * 1.25) + 1024;
      graph = parked && parked.dim === dim ? parked : await this.hnsw.create(dim, capacity, this.config.index);
      const built = graph;
      await this.catchUpGraph(built, modelId, new Set());
      await this.enqueue(async () => {
        const { metas, added } = await this.catchUpGraph(built, modelId, this.switchPending);
        const previous = this.index;
        const previousModel = this.modelId;
        // From here to onSwap nothing awaits: no search sees half of the switch.
        this.meta = new Map();
        this.labelByLesion = new Map();
        this.perPatient = new Map();
        this.perStudy = new Map();
        this.maxLabel = 0;
        for (const m of metas) this.remember(m);
        this.index = built;
        this.modelId = modelId;
        this.state = 'ready';
        this.failure = null;
        this.snapshotInfo = null;
        this.addedSinceSnapshot = metas.length;
        onSwap();
        switched = true;
        if (previous && previousModel && previousModel !== modelId) await this.park(previousModel, previous);
        this.snapshotOwner = await this.changes.tryOwn(`vector-index-snapshot:${modelId}`).catch(() => false);
        this.logger.log(`Index switched to model ${modelId.slice(0, 12)}: ${this.meta.size} lesions (${added} caught up at the switch)`);
      });
    } catch (error) {
      if (graph && !switched) await this.dropGraph(graph, modelId);
      throw error;
    } finally {
      this.switchingTo = null;
      this.switchPending = new Set();
    }
    await this.snapshotIfChanged().catch((e: Error) => this.logger.warn(`Snapshot after the switch failed: ${e.message}`));
  }

  /** Parks the graph of a model switched away from, dropping the least recently parked beyond PARKED_MODELS. */
  private async park(modelId: string, graph: HnswGraph): Promise<void> {
    for (const [oldModel, oldGraph] of this.parked.park(modelId, graph, this.config.encoder.parkedModels)) await this.dropGraph(oldGraph, oldModel);
  }

  /** The models whose graphs are parked, least recently parked first. */
  parkedModelIds(): string[] {
    return this.parked.modelIds();
  }

  /** Drops a parked graph (its model is no longer registered, say); false when none was parked. */
  async releaseParked(modelId: string): Promise<boolean> {
    const graph = this.parked.take(modelId);
    if (graph) await this.dropGraph(graph, modelId);
    return graph !== undefined;
  }

  private async dropGraph(graph: HnswGraph, modelId: string): Promise<void> {
    await graph.drop().catch((error: Error) => this.logger.warn(`Dropping the graph of model ${modelId.slice(0, 12)} failed: ${error.message}`));
    this.logger.log(`Dropped the graph of model ${modelId.slice(0, 12)}`);
  }

  /** Makes a graph beside the live one hold the model's embeddings: vanished points dropped, new and `rewritten` ones added. */
  private async catchUpGraph(
    graph: HnswGraph,
    modelId: string,
    rewritten: Set<number>,
  ): Promise<{ metas: (LesionMeta & { createdAt: Date })[]; added: number }> {
    const metas = await this.store.allMeta(modelId);
    const inDatabase = new Set(metas.map((m) => m.label));
    const held = await graph.ids();
    await graph.markDeleted(held.filter((label) => !inDatabase.has(label)));
    const inGraph = new Set(held);
    const toAdd = metas.filter((m) => !inGraph.has(m.label) || rewritten.has(m.label)).map((m) => m.label);
    for (let i = 0; i < toAdd.length; i += CATCH_UP_CHUNK) {
      const chunk = toAdd.slice(i, i + CATCH_UP_CHUNK);
      await this.addPoints(chunk, await this.store.vectors(chunk), graph);
    }
    return { metas, added: toAdd.length };
  }

  /** Sends points to the graph (the live one unless given) in small batches; labels whose vector is missing are skipped. */
  private async addPoints(labels: number[], vectors: Map<number, Float32Array>, graph: HnswGraph = this.index!): Promise<void> {
    const present = labels.filter((label) => vectors.has(label));
    for (let i = 0; i < present.length; i += ADD_BATCH) {
      const batch = present.slice(i, i + ADD_BATCH);
      await graph.add(batch, this.packed(batch, vectors, graph.dim));
    }
  }

  /** The labels' vectors in one row-major array, as the worker takes them. */
  private packed(labels: number[], vectors: Map<number, Float32Array>, dim = this.index!.dim): Float32Array {
    const rows = new Float32Array(labels.length * dim);
    labels.forEach((label, i) => rows.set(vectors.get(label)!, i * dim));
    return rows;
  }

  private remember(m: LesionMeta): void {
    const { label, lesionId, patientId, studyId, coarseType, sex, ageYears, longAxisMm, split, location } = m;
    // One string per dataset name, not one per lesion.
    let dataset = this.datasetNames.get(m.dataset);
    if (dataset === undefined) this.datasetNames.set(m.dataset, (dataset = m.dataset));
    if (!this.meta.has(label)) {
      this.perPatient.set(patientId, (this.perPatient.get(patientId) ?? 0) + 1);
      this.perStudy.set(studyId, (this.perStudy.get(studyId) ?? 0) + 1);
    }
    this.meta.set(label, { label, lesionId, patientId, studyId, dataset, coarseType, sex, ageYears, longAxisMm, split, location });
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
