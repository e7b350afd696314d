import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppConfig } from '../../src/config/app-config';
import { EncoderService } from '../../src/ml/encoder.service';
import { Prng } from '../../src/sample/prng';
import { aliasFileOf } from '../../src/vector-index/alias-groups';
import { cosine } from '../../src/vector-index/exact-search';
import { HnswRepository } from '../../src/vector-index/hnsw.repository';
import { IndexStoreRepository, SnapshotRecord } from '../../src/vector-index/index-store.repository';
import { LesionMeta, SearchFilter } from '../../src/vector-index/lesion-meta';
import { IndexHit, VectorIndexService } from '../../src/vector-index/vector-index.service';
import { emptyChangeLog, FakeChangeFeed } from '../helpers/fake-change-feed';
import { syntheticLesions } from '../helpers/vector-index-fixtures';

// An archive where many lesions share one image (issue 13, item 5): 1,900 lesions over 100 distinct
// embeddings, 50 near-duplicates (the same image re-encoded: ‖noise‖ = 1e-4) and 50 near but distinct
// ones (‖noise‖ = 0.1). Same graph settings as the service's defaults.
const DIM = 64;
const BASES = 100;
const EXACT_COPIES = 1900;
const NEAR_DUPLICATES = 50;
const NEAR_DISTINCT = 50;
const PARAMS = { m: 16, efConstruction: 200, efSearch: 20 };
/** Similarities this close count as a tie (near-duplicates report their point's similarity). */
const TIE = 2e-4;

type Row = LesionMeta & { createdAt: Date };

/** The database side, in memory: lesion rows, their vectors and the latest snapshot record. */
class ArchiveStore {
  snapshot: SnapshotRecord | null = null;
  private clock = 1_000_000;
  constructor(
    public rows: Row[],
    public readonly vectorByLabel: Map<number, Float32Array>,
  ) {}
  allMeta = async () => this.rows.slice();
  metaForLabelsOrLesions = async (_model: string, labels: number[], lesions: number[]) =>
    this.rows.filter((m) => labels.includes(m.label) || lesions.includes(m.lesionId));
  latestSnapshot = async () => this.snapshot;
  recordSnapshot = async (_model: string, record: SnapshotRecord) => {
    const stale = this.snapshot && this.snapshot.fileName !== record.fileName ? [this.snapshot.fileName] : [];
    this.snapshot = record;
    return stale;
  };
  vectors = async (labels: number[]) => new Map(labels.filter((l) => this.vectorByLabel.has(l)).map((l) => [l, this.vectorByLabel.get(l)!]));
  countEmbeddings = async () => this.rows.length;
  now = async () => new Date(++this.clock);
  /** A row written after every snapshot so far. */
  tick = () => new Date(++this.clock);
}

function unit(v: Float32Array): Float32Array {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function service(hnsw: HnswRepository, store: ArchiveStore, dir: string, feed = new FakeChangeFeed('dup-model')): VectorIndexService {
  const encoder = { status: () => ({ state: 'ready' }), loaded: { modelId: 'dup-model' }, dim: DIM } as unknown as EncoderService;
  const config = { index: { dir, ...PARAMS, snapshotEvery: 1_000_000 }, changeLog: { retentionHours: 1 } } as unknown as AppConfig;
  return new VectorIndexService(hnsw, store as unknown as IndexStoreRepository, encoder, config, feed.asService(), emptyChangeLog());
}

describe('an archive full of identical embeddings (real hnswlib)', () => {
  const rng = new Prng(13);
  const bases = Array.from({ length: BASES }, () => unit(Float32Array.from({ length: DIM }, () => rng.normal(0, 1))));
  const withNoise = (base: Float32Array, size: number) => {
    const noise = unit(Float32Array.from({ length: DIM }, () => rng.normal(0, 1)));
    return base.map((x, i) => x + size * noise[i]);
  };
  // Skewed group sizes: the first bases hold hundreds of lesions, the last ones a few.
  const kinds: { base: number; vector: Float32Array; exact: boolean }[] = [];
  for (let i = 0; i < EXACT_COPIES; i++) {
    const base = i < BASES ? i : Math.floor(BASES * rng.next() ** 2);
    kinds.push({ base, vector: bases[base], exact: true });
  }
  for (let i = 0; i < NEAR_DUPLICATES; i++) {
    const base = rng.int(0, BASES - 1);
    kinds.push({ base, vector: withNoise(bases[base], 1e-4), exact: false });
  }
  const nearDistinct: Float32Array[] = [];
  for (let i = 0; i < NEAR_DISTINCT; i++) {
    const base = rng.int(0, BASES - 1);
    const vector = withNoise(bases[base], 0.1);
    nearDistinct.push(vector);
    kinds.push({ base: BASES + i, vector, exact: false });
  }
  // Interleaved, as an import meets them.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const rows: Row[] = syntheticLesions(kinds.length, { firstLesionId: 10_000, siteBEvery: 3 });
  const vectorByLabel = new Map(rows.map((m, i) => [m.label, Float32Array.from(kinds[i].vector)]));
  /** Lesion ids by group (near-duplicates with their base; near-distinct ones alone). */
  const groupOf = new Map(rows.map((m, i) => [m.lesionId, kinds[i].base]));
  const members = (group: number) => rows.filter((m) => groupOf.get(m.lesionId) === group);
  const distinctVectors = BASES + NEAR_DISTINCT;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vector-index-dup-'));
  const store = new ArchiveStore(rows.slice(), vectorByLabel);
  const hnsw = new HnswRepository();
  const feed = new FakeChangeFeed('dup-model');
  const index = service(hnsw, store, dir, feed);
  /** Deletes lesions as the database would, then tells the index through the log. */
  async function deleteLesions(gone: Row[]) {
    store.rows = store.rows.filter((m) => !gone.includes(m));
    for (const m of gone) {
      feed.log('embedding', m.label);
      feed.log('lesion', m.lesionId);
      await index.removeLesion(m.lesionId);
    }
  }

  beforeAll(() => index.load(), 120_000);
  afterAll(async () => {
    await index.onApplicationShutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Tie-aware recall: a hit counts when its own similarity reaches the exact k-th best (within TIE). */
  function recall(query: Float32Array, hitLabels: number[], candidates: Row[], k: number): number {
    const truth = candidates.map((m) => cosine(query, store.vectorByLabel.get(m.label)!)).sort((a, b) => b - a);
    const kth = truth[Math.min(k, truth.length) - 1];
    return hitLabels.filter((label) => cosine(query, store.vectorByLabel.get(label)!) >= kth - TIE).length;
  }

  async function verifyClean(): Promise<void> {
    const report = await index.verify();
    expect({ missing: report.missing, extra: report.extra, unfindable: report.unfindable }).toEqual({ missing: [], extra: [], unfindable: [] });
    expect(report.graph.lesions).toBe(store.rows.length);
    expect(report.graph.orphanGroups).toBe(0);
  }

  it('finds every lesion through its point, and stores each distinct embedding once', async () => {
    await verifyClean();
    const report = await index.verify();
    expect(report.indexPoints).toBe(rows.length);
    expect(report.graph.points).toBe(distinctVectors);
    expect(report.graph.largestGroup).toBeGreaterThan(100);
  }, 60_000);

  it('ranks as exact search does, excluding the query’s patient (graph path)', async () => {
    let found = 0;
    let asked = 0;
    for (let base = 0; base < BASES; base++) {
      const query = members(base)[0];
      const hits = await index.search({ lesionId: query.lesionId }, 10, { excludeLesionId: query.lesionId, excludePatientId: query.patientId });
      const candidates = store.rows.filter((m) => m.lesionId !== query.lesionId && m.patientId !== query.patientId);
      expect(hits).toHaveLength(10);
      expect(hits.every((h) => h.meta.patientId !== query.patientId)).toBe(true);
      found += recall(
        store.vectorByLabel.get(query.label)!,
        hits.map((h) => h.label),
        candidates,
        10,
      );
      asked += 10;
    }
    expect(found / asked).toBeGreaterThanOrEqual(0.95);
  }, 60_000);

  it('filters per lesion inside the graph walk: excluding most of an alias group still gives k hits and exact recall', async () => {
    const graph = await hnsw.create(DIM, rows.length, PARAMS);
    const labels = rows.map((m) => m.label);
    const packed = new Float32Array(labels.length * DIM);
    labels.forEach((label, i) => packed.set(vectorByLabel.get(label)!, i * DIM));
    await graph.add(labels, packed);
    let found = 0;
    let asked = 0;
    for (let base = 0; base < BASES; base++) {
      // Nine in ten lesions of every alias group are filtered out, a different tenth for each query.
      const allowed = new Uint8Array(rows.length + 1);
      const allowedRows = [...Array(BASES + NEAR_DISTINCT).keys()].flatMap((group) => members(group).filter((_, i) => (i + base) % 10 === 0));
      for (const m of allowedRows) allowed[m.label] = 1;
      const result = await graph.search({ vector: bases[base] }, 10, PARAMS.efSearch, allowed);
      const hitLabels = [...result!.labels];
      expect(hitLabels).toHaveLength(10);
      expect(new Set(hitLabels).size).toBe(10);
      expect(hitLabels.every((label) => allowed[label] === 1)).toBe(true);
      found += recall(bases[base], hitLabels, allowedRows, 10);
      asked += 10;
    }
    expect(found / asked).toBeGreaterThanOrEqual(0.95);
    await graph.drop();
  }, 60_000);

  it('counts each lesion of a group as its own hit with the same similarity, and gives k hits when k match', async () => {
    // Exact copies and near-duplicates of one image: all aliases of one point.
    const group = members(0);
    expect(group.length).toBeGreaterThan(20);
    const hits = await index.search(bases[0], 20);
    expect(hits.map((h) => h.meta.lesionId).sort()).toEqual(
      group
        .slice(0, 20)
        .map((m) => m.lesionId)
        .sort(),
    );
    expect(new Set(hits.map((h) => h.similarity.toFixed(5)))).toEqual(new Set(['1.00000']));

    // A pool of 12 lesions: 7 of the group, 5 elsewhere; the query's own lesion excluded.
    const others = rows.filter((m) => groupOf.get(m.lesionId) === 50).slice(0, 5);
    const pool = new Set([...group.slice(0, 7), ...others].map((m) => m.lesionId));
    const pooled = (k: number, filter: SearchFilter) => index.search({ lesionId: group[0].lesionId }, k, filter);
    expect(await pooled(20, { lesionIds: pool, excludeLesionId: group[0].lesionId })).toHaveLength(11);
    const ten = await pooled(10, { lesionIds: pool, excludeLesionId: group[0].lesionId });
    expect(ten).toHaveLength(10);
    expect(ten.slice(0, 6).map((h) => h.meta.lesionId)).toEqual(group.slice(1, 7).map((m) => m.lesionId));
  });

  it('keeps a group’s point when the lesion that created it is deleted, and drops it with the last one', async () => {
    const group = members(1);
    const creator = group[0];
    await deleteLesions(store.rows.filter((m) => m.lesionId === creator.lesionId));
    const hits: IndexHit[] = await index.search(bases[1], group.length + 5);
    const ids = hits.map((h) => h.meta.lesionId);
    expect(ids).not.toContain(creator.lesionId);
    for (const m of group.slice(1)) expect(ids).toContain(m.lesionId);
    expect((await index.search({ lesionId: group[1].lesionId }, 1))[0].meta.lesionId).toBe(group[1].lesionId);
    await verifyClean();

    // The smallest exact group: every lesion deleted takes its point away.
    const smallest = [...Array(BASES).keys()]
      .slice(10)
      .map((b) => members(b))
      .sort((a, b) => a.length - b.length)[0];
    const pointsBefore = (await index.verify()).graph.points;
    await deleteLesions(store.rows.filter((m) => smallest.some((s) => s.lesionId === m.lesionId)));
    expect((await index.verify()).graph.points).toBe(pointsBefore - 1);
    await verifyClean();
  }, 60_000);

  it('moves a re-embedded lesion out of its group', async () => {
    const group = members(2);
    const moved = group[1];
    const newLabel = 100_000;
    const newVector = unit(Float32Array.from({ length: DIM }, () => rng.normal(0, 1)));
    store.vectorByLabel.set(newLabel, newVector);
    store.rows = store.rows.map((m) => (m.lesionId === moved.lesionId ? { ...m, label: newLabel, createdAt: store.tick() } : m));
    feed.log('embedding', newLabel);
    await index.addLabels([newLabel]);

    const near = await index.search(bases[2], group.length + 10);
    expect(near.map((h) => h.meta.lesionId)).not.toContain(moved.lesionId);
    const own = await index.search(newVector, 1);
    expect(own[0].meta.lesionId).toBe(moved.lesionId);
    expect(own[0].similarity).toBeCloseTo(1, 5);
    await verifyClean();
  }, 60_000);

  it('keeps the groups through a snapshot, a load and a catch-up from the database', async () => {
    await index.snapshot();
    const before = await index.verify();
    const file = path.join(dir, store.snapshot!.fileName);
    expect(fs.existsSync(aliasFileOf(file))).toBe(true);

    // Written after the snapshot: copies of an existing image, a new image, and a deletion.
    const added: Row[] = [];
    for (let i = 0; i < 30; i++) {
      const label = 200_000 + i;
      store.vectorByLabel.set(label, Float32Array.from(i < 29 ? bases[3] : nearDistinct[0].map((x) => -x)));
      added.push({ ...rows[0], label, lesionId: 500_000 + i, patientId: 90_000 + i, studyId: 90_000 + i, createdAt: store.tick() });
    }
    const gone = members(4)[0];
    store.rows = [...store.rows.filter((m) => m.lesionId !== gone.lesionId), ...added];

    const reopenedHnsw = new HnswRepository();
    const loads = jest.spyOn(reopenedHnsw, 'load');
    const reopened = service(reopenedHnsw, store, dir);
    try {
      await reopened.load();
      // Loaded from the snapshot, not rebuilt.
      expect(await loads.mock.results[0].value).not.toBeNull();
      const report = await reopened.verify();
      expect({ missing: report.missing, extra: report.extra, unfindable: report.unfindable }).toEqual({ missing: [], extra: [], unfindable: [] });
      expect(report.graph.lesions).toBe(store.rows.length);
      expect(report.graph.points).toBe(before.graph.points + 1);
      const copies = await reopened.search(bases[3], members(3).length + 29);
      for (const m of added.slice(0, 29)) expect(copies.map((h) => h.meta.lesionId)).toContain(m.lesionId);
      expect((await reopened.search(bases[4], members(4).length + 5)).map((h) => h.meta.lesionId)).not.toContain(gone.lesionId);
    } finally {
      await reopened.onApplicationShutdown();
    }

    // A snapshot without its alias table (written before duplicate grouping) is rebuilt, not loaded.
    const latest = path.join(dir, store.snapshot!.fileName);
    fs.rmSync(aliasFileOf(latest));
    const bare = new HnswRepository();
    try {
      expect(await bare.load(latest, DIM, store.snapshot!.checksum, PARAMS.efSearch)).toBeNull();
    } finally {
      await bare.close();
    }
  }, 120_000);
});
