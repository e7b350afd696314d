import { AppConfig } from '../../src/config/app-config';
import { EncoderService } from '../../src/ml/encoder.service';
import { HnswRepository } from '../../src/vector-index/hnsw.repository';
import { IndexStoreRepository } from '../../src/vector-index/index-store.repository';
import { LesionMeta } from '../../src/vector-index/lesion-meta';
import { VectorIndexService } from '../../src/vector-index/vector-index.service';
import { emptyChangeLog, FakeChangeFeed } from './fake-change-feed';
import { asDependency } from './typed-mocks';

/** A lesion as the index holds it: the fields a test names, the rest empty (one site, no demographics, stored long ago). */
export function lesionMeta(fields: Pick<LesionMeta, 'label' | 'lesionId'> & Partial<LesionMeta>): LesionMeta & { createdAt: Date } {
  return {
    patientId: 1,
    studyId: 1,
    dataset: 'site-a',
    coarseType: 1,
    sex: null,
    ageYears: null,
    longAxisMm: null,
    split: null,
    location: null,
    createdAt: new Date(0),
    ...fields,
  };
}

/** `count` lesions labelled 1.., four per patient, two per study, every `siteBEvery`-th in site-b, coarse types in turn. */
export function syntheticLesions(count: number, options: { firstLesionId: number; siteBEvery: number }): (LesionMeta & { createdAt: Date })[] {
  return Array.from({ length: count }, (_, i) =>
    lesionMeta({
      label: i + 1,
      lesionId: options.firstLesionId + i,
      patientId: Math.floor(i / 4),
      studyId: Math.floor(i / 2),
      dataset: i % options.siteBEvery ? 'site-a' : 'site-b',
      coarseType: 1 + (i % 8),
    }),
  );
}

/**
 * A VectorIndexService over mocks of the HNSW worker and the store, with an encoder of `modelId` (2 dims)
 * and a change feed that never owns the snapshots (no snapshot file is written).
 */
export function indexServiceOverMocks(options: {
  hnsw: Partial<HnswRepository>;
  store: Partial<IndexStoreRepository>;
  modelId: string;
  config: Partial<Record<keyof AppConfig, unknown>>;
}): VectorIndexService {
  const encoder = { status: () => ({ state: 'ready' }), loaded: { modelId: options.modelId }, dim: 2 };
  const feed = new FakeChangeFeed(options.modelId);
  feed.tryOwn = async () => false;
  return new VectorIndexService(
    asDependency<HnswRepository>(options.hnsw),
    asDependency<IndexStoreRepository>(options.store),
    asDependency<EncoderService>(encoder as unknown as EncoderService),
    options.config as unknown as AppConfig,
    feed.asService(),
    emptyChangeLog(),
  );
}
