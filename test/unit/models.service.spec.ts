import { ChangeFeedService } from '../../src/change-log/change-feed.service';
import { AppConfig } from '../../src/config/app-config';
import { EmbeddingService } from '../../src/ingest-jobs/embedding.service';
import { EmbeddingsRepository } from '../../src/ingest-jobs/embeddings.repository';
import { JobQueue } from '../../src/jobs/job-queue.port';
import { EncoderService } from '../../src/ml/encoder.service';
import { ModelRegistryRepository, ModelStatus, RegisteredModel } from '../../src/models/model-registry.repository';
import { ModelsService } from '../../src/models/models.service';
import { VectorIndexService } from '../../src/vector-index/vector-index.service';
import { asDependency, mockMethods } from '../helpers/typed-mocks';

const CONFIGURED = 'c'.repeat(64);
const model = (id: string, status: ModelStatus, activateWhenReady = false): RegisteredModel => ({
  id,
  name: id.slice(0, 1),
  folder: id.slice(0, 1),
  dim: 2,
  status,
  progress: { embedded: 0, total: 0 },
  createdAt: new Date(0),
  activatedAt: status === 'active' ? new Date(0) : null,
  activateWhenReady,
});

/** The registry's side of issue 19's leftovers: activation intent on resume, and parked models of unswitchable rows released. */
describe('ModelsService (unit)', () => {
  function modelsService(rows: RegisteredModel[], parked: string[]) {
    const registry = mockMethods<ModelRegistryRepository>()({
      get: async (id: string) => rows.find((r) => r.id === id) ?? null,
      list: async () => rows,
      active: async () => rows.find((r) => r.status === 'active') ?? null,
      activateIfNoneActive: async () => undefined,
      unfinishedEmbeddings: async () => rows.filter((r) => r.status === 'embedding').map((r) => ({ id: r.id, activateWhenReady: r.activateWhenReady })),
    });
    const released: string[] = [];
    const encoder = {
      status: () => ({ state: 'ready' }),
      loaded: { modelId: CONFIGURED, manifest: {} },
      dim: 2,
      ...mockMethods<EncoderService>()({
        parkedModelIds: () => parked.filter((id) => !released.includes(`encoder ${id}`)),
        releaseParked: async (id: string) => released.push(`encoder ${id}`) > 0,
      }),
    };
    const vectorIndex = mockMethods<VectorIndexService>()({
      parkedModelIds: () => parked.filter((id) => !released.includes(`graph ${id}`)),
      releaseParked: async (id: string) => released.push(`graph ${id}`) > 0,
    });
    const queue = { distributed: false, ...mockMethods<JobQueue>()({ enqueue: async () => undefined, handle: () => undefined }) };
    const service = new ModelsService(
      asDependency<ModelRegistryRepository>(registry),
      asDependency<EmbeddingsRepository>({ upsertModel: async () => undefined }),
      asDependency<EncoderService>(encoder as unknown as EncoderService),
      asDependency<VectorIndexService>(vectorIndex),
      asDependency<EmbeddingService>({}),
      asDependency<ChangeFeedService>({ subscribe: () => undefined }),
      asDependency<JobQueue>(queue),
      { role: 'all', encoder: { model: 'c' } } as unknown as AppConfig,
    );
    return { service, queue, released };
  }

  it('enqueues unfinished embeddings again at start-up with the activation each registration asked for', async () => {
    const wanted = model('a'.repeat(64), 'embedding', true);
    const notWanted = model('b'.repeat(64), 'embedding', false);
    const { service, queue } = modelsService([model(CONFIGURED, 'active'), wanted, notWanted], []);
    await service.onApplicationBootstrap();
    expect(queue.enqueue.mock.calls).toEqual([
      ['model-embedding', { modelId: wanted.id, activate: true }],
      ['model-embedding', { modelId: notWanted.id, activate: false }],
    ]);
  });

  it('releases at once the parked models no longer registered or retired, and keeps the ready ones', async () => {
    const ready = model('a'.repeat(64), 'ready');
    const retired = model('b'.repeat(64), 'retired');
    const gone = 'd'.repeat(64);
    const { service, released } = modelsService([model(CONFIGURED, 'active'), ready, retired], [ready.id, retired.id, gone]);
    await service.followActive();
    expect(released.sort()).toEqual([`encoder ${retired.id}`, `encoder ${gone}`, `graph ${retired.id}`, `graph ${gone}`].sort());
  });
});
