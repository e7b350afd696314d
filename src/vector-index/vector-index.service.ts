import * as path from 'node:path';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HierarchicalNSW } from 'hnswlib-node';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EncoderService } from '../ml/encoder.service';
import { exactTopK, ScoredLabel } from './exact-search';
import { HnswRepository } from './hnsw.repository';
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

/**
 * The HNSW index of the active encoder's embeddings. PostgreSQL is the truth: at start the index is
 * loaded from its latest snapshot (checksum-verified) and caught up with rows added, changed or
 * deleted since, so a crash or a stale snapshot never loses or invents a lesion.
 */
@Injectable()
export class VectorIndexService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('VectorIndex');
  private index: HierarchicalNSW | null = null;
  private modelId: string | null = null;
  private readonly meta = new Map<number, LesionMeta>();
  private readonly labelByLesion = new Map<number, number>();
  /** Indexed lesions per patient and per study: exclusion filters need only their counts. */
  private readonly perPatient = new Map<number, number>();
  private readonly perStudy = new Map<number, number>();
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
  ) {}

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
    let index: HierarchicalNSW | null = null;
    if (snapshot) {
      index = await this.hnsw.load(path.join(params.dir, snapshot.fileName), dim, snapshot.checksum, params.efSearch);
      if (!index) this.logger.warn(`Snapshot ${snapshot.fileName} is missing or corrupt; rebuilding from the database`);
    }
    const takenAt = index && snapshot ? snapshot.takenAt : null;
    index ??= this.hnsw.create(dim, Math.ceil(metas.length * 1.25) + 1024, params);
    this.index = index;

    const inDatabase = new Set(metas.map((m) => m.label));
    let removed = 0;
    for (const label of index.getIdsList()) {
      if (!inDatabase.has(label)) removed += this.markDeleted(label) ? 1 : 0;
    }
    const inIndex = new Set(index.getIdsList());
    const toAdd = metas.filter((m) => !inIndex.has(m.label) || !takenAt || m.createdAt > takenAt);
    for (const m of metas) this.remember(m);
    for (let i = 0; i < toAdd.length; i += CATCH_UP_CHUNK) {
      const chunk = toAdd.slice(i, i + CATCH_UP_CHUNK);
      const vectors = await this.store.vectors(chunk.map((m) => m.label));
      for (const m of chunk) {
        const vector = vectors.get(m.label);
        if (vector) this.addPoint(m.label, vector);
      }
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

  /** The stored vector of an indexed lesion (as held by the index). */
  vectorOf(lesionId: number): number[] | null {
    const label = this.labelByLesion.get(lesionId);
    return label === undefined || !this.index ? null : this.index.getPoint(label);
  }

  /** Adds (or replaces) the points for these embedding labels, reading them from the database. */
  async addLabels(labels: number[]): Promise<void> {
    if (!this.isReady() || !labels.length) return;
    const [metas, vectors] = await Promise.all([this.store.metaForLabels(labels), this.store.vectors(labels)]);
    for (const m of metas) {
      const vector = vectors.get(m.label);
      if (!vector) continue;
      const previous = this.labelByLesion.get(m.lesionId);
      if (previous !== undefined && previous !== m.label) this.forget(previous);
      this.remember(m);
      this.addPoint(m.label, vector);
    }
    this.addedSinceSnapshot += metas.length;
    if (this.addedSinceSnapshot >= this.config.index.snapshotEvery) await this.snapshot();
  }

  /** Marks a deleted lesion's point deleted; the next snapshot persists that. */
  removeLesion(lesionId: number): void {
    const label = this.labelByLesion.get(lesionId);
    if (label === undefined) return;
    this.forget(label);
    this.addedSinceSnapshot++;
  }

  /**
   * The k most similar indexed lesions passing the filter. Filters run inside the graph search
   * (hnswlib's label filter); very selective ones, or a filtered walk that came back short, are
   * answered exactly over the matching lesions, so k hits come back whenever k exist.
   */
  search(query: ArrayLike<number>, k: number, filter: SearchFilter = {}): IndexHit[] {
    const index = this.requireIndex();
    const predicate = filterPredicate(filter);
    const q = Array.from(query);
    if (predicate && isExclusionOnly(filter)) {
      // Excluding a lesion, its patient or its study removes few points: fetch that many more
      // unfiltered neighbours and drop them, instead of a JavaScript callback per visited node.
      const excluded = 1 + (filter.excludePatientId !== undefined ? (this.perPatient.get(filter.excludePatientId) ?? 0) : 0) + (filter.excludeStudyId !== undefined ? (this.perStudy.get(filter.excludeStudyId) ?? 0) : 0);
      const wanted = Math.min(k, this.meta.size);
      const fetch = Math.min(wanted + excluded, this.meta.size);
      index.setEf(Math.max(this.config.index.efSearch, fetch));
      const result = index.searchKnn(q, fetch);
      index.setEf(this.config.index.efSearch);
      const hits = result.neighbors
        .map((label, i) => ({ label, similarity: 1 - result.distances[i], meta: this.meta.get(label)! }))
        .filter((h) => h.meta && predicate(h.meta));
      if (hits.length >= wanted || result.neighbors.length >= this.meta.size) return hits.slice(0, wanted);
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
    if (matchingLabels && matching <= EXACT_FILTER_LIMIT) return this.exact(q, matchingLabels, wanted);
    const allowed = predicate ? (label: number) => { const m = this.meta.get(label); return !!m && predicate(m); } : undefined;
    const efSearch = this.config.index.efSearch;
    for (let ef = Math.max(efSearch, wanted); ef <= Math.max(efSearch, wanted) * 16; ef *= 4) {
      index.setEf(ef);
      const result = index.searchKnn(q, wanted, allowed);
      if (result.neighbors.length >= wanted) {
        index.setEf(efSearch);
        return result.neighbors.map((label, i) => ({ label, similarity: 1 - result.distances[i], meta: this.meta.get(label)! }));
      }
    }
    index.setEf(efSearch);
    return this.exact(q, matchingLabels ?? [...this.meta.keys()], wanted);
  }

  /**
   * Compares index and database: labels missing from the index, indexed labels the database lacks,
   * and lesions the graph cannot find (searching with a lesion's own vector must return it first,
   * or a point at the same distance). `onProgress` is told how many lesions were checked.
   */
  async verify(onProgress?: (done: number, total: number) => void): Promise<{ missing: number[]; extra: number[]; unfindable: number[]; indexPoints: number; databaseEmbeddings: number }> {
    const index = this.requireIndex();
    const metas = await this.store.allMeta(this.modelId!);
    const database = new Set(metas.map((m) => m.label));
    const missing = metas.filter((m) => !this.meta.has(m.label)).map((m) => m.label);
    const extra = [...this.meta.keys()].filter((label) => !database.has(label));
    const unfindable: number[] = [];
    const labels = [...this.meta.keys()];
    const vectors = new Map<number, Float32Array>();
    for (let i = 0; i < labels.length; i += CATCH_UP_CHUNK) {
      const chunk = labels.slice(i, i + CATCH_UP_CHUNK);
      for (const [label, vector] of await this.store.vectors(chunk)) vectors.set(label, vector);
      for (const label of chunk) {
        const vector = vectors.get(label);
        const result = vector ? index.searchKnn(Array.from(vector), 1) : { neighbors: [], distances: [] };
        // Duplicate vectors tie at distance 0: either of them counts as found.
        if (!(result.neighbors[0] === label || (result.distances[0] ?? 1) < 1e-6)) unfindable.push(label);
        vectors.delete(label);
      }
      onProgress?.(Math.min(i + CATCH_UP_CHUNK, labels.length), labels.length);
    }
    return { missing, extra, unfindable, indexPoints: this.meta.size, databaseEmbeddings: metas.length };
  }

  /** Rebuilds the index from the database alone (no snapshot), then snapshots it. */
  async rebuild(): Promise<void> {
    const { modelId } = this.encoder.loaded;
    const metas = await this.store.allMeta(modelId);
    this.clearMeta();
    this.index = this.hnsw.create(this.encoder.dim, Math.ceil(metas.length * 1.25) + 1024, this.config.index);
    for (let i = 0; i < metas.length; i += CATCH_UP_CHUNK) {
      const chunk = metas.slice(i, i + CATCH_UP_CHUNK);
      const vectors = await this.store.vectors(chunk.map((m) => m.label));
      for (const m of chunk) {
        const vector = vectors.get(m.label);
        if (!vector) continue;
        this.remember(m);
        this.addPoint(m.label, vector);
      }
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

  private exact(query: number[], labels: number[], k: number): IndexHit[] {
    const index = this.requireIndex();
    return exactTopK(query, labels.map((label) => ({ label, vector: index.getPoint(label) })), k).map((s) => ({ ...s, meta: this.meta.get(s.label)! }));
  }

  private addPoint(label: number, vector: Float32Array): void {
    const index = this.index!;
    if (index.getCurrentCount() >= index.getMaxElements()) index.resizeIndex(Math.ceil(index.getMaxElements() * 1.5) + 1024);
    index.addPoint(Array.from(vector), label);
  }

  private remember(m: LesionMeta): void {
    const { label, lesionId, patientId, studyId, coarseType, sex, ageYears, longAxisMm, split, location } = m;
    if (!this.meta.has(label)) {
      this.perPatient.set(patientId, (this.perPatient.get(patientId) ?? 0) + 1);
      this.perStudy.set(studyId, (this.perStudy.get(studyId) ?? 0) + 1);
    }
    this.meta.set(label, { label, lesionId, patientId, studyId, coarseType, sex, ageYears, longAxisMm, split, location });
    this.labelByLesion.set(lesionId, label);
  }

  private clearMeta(): void {
    this.meta.clear();
    this.labelByLesion.clear();
    this.perPatient.clear();
    this.perStudy.clear();
  }

  private forget(label: number): void {
    const m = this.meta.get(label);
    if (m && this.labelByLesion.get(m.lesionId) === label) this.labelByLesion.delete(m.lesionId);
    if (m) {
      this.perPatient.set(m.patientId, (this.perPatient.get(m.patientId) ?? 1) - 1);
      this.perStudy.set(m.studyId, (this.perStudy.get(m.studyId) ?? 1) - 1);
    }
    this.meta.delete(label);
    this.markDeleted(label);
  }

  private markDeleted(label: number): boolean {
    try {
      this.index!.markDelete(label);
      return true;
    } catch {
      return false; // already deleted
    }
  }

  private requireIndex(): HierarchicalNSW {
    if (!this.index || this.state !== 'ready') throw new Error(this.failure ? `the index failed to load: ${this.failure}` : 'the index is not loaded');
    return this.index;
  }
}

/** True when the filter only excludes a lesion, a patient or a study (the default query). */
function isExclusionOnly(filter: SearchFilter): boolean {
  const { excludeLesionId, excludePatientId, excludeStudyId, ...rest } = filter;
  void excludeLesionId;
  void excludePatientId;
  void excludeStudyId;
  return Object.values(rest).every((v) => v === undefined || (Array.isArray(v) && v.length === 0));
}
