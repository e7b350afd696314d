import { EncoderService, EmbedResult } from '../ml/encoder.service';
import { PatchJob } from '../ml/patch-job';
import { EmbeddingService, toPatchJob } from './embedding.service';
import { VectorIndexService } from '../vector-index/vector-index.service';
import { EmbeddingsRepository, LesionToEmbed } from './embeddings.repository';

const lesion = (id: number, extra: Partial<LesionToEmbed> = {}): LesionToEmbed => ({
  id,
  imagePath: `/images/000001_01_01/${id}.png`,
  imageEncoding: 'png16',
  imageHuLow: null,
  imageHuHigh: null,
  box: { x1: 1, y1: 2, x2: 3, y2: 4 },
  spacingXmm: 0.7,
  spacingYmm: 0.7,
  spacingZmm: 2,
  slicesDir: '/images/000001_01_01',
  keySliceIndex: 40,
  ...extra,
});

describe('toPatchJob', () => {
  it('finds neighbours at key ± round(offset / slice spacing) in the series folder', () => {
    const job = toPatchJob(lesion(7), [-2, 0, 2, 5]);
    expect(job.neighbourPaths).toEqual(['/images/000001_01_01/039.png', null, '/images/000001_01_01/041.png', '/images/000001_01_01/043.png']);
    expect(job).toMatchObject({ key: 7, encoding: 'png16', huWindow: null, spacing: { x: 0.7, y: 0.7, z: 2 } });
  });

  it("gives the slices the series' spacing on each axis, none when the series has none", () => {
    expect(toPatchJob(lesion(1, { spacingYmm: 0.9 }), [0]).spacing).toEqual({ x: 0.7, y: 0.9, z: 2 });
    expect(toPatchJob(lesion(1, { spacingXmm: null, spacingYmm: null, spacingZmm: null }), [0]).spacing).toBeNull();
  });

  it('falls back to the key slice without a series folder or slice spacing', () => {
    expect(toPatchJob(lesion(1, { slicesDir: null }), [-2, 0, 2]).neighbourPaths).toEqual([null, null, null]);
    expect(toPatchJob(lesion(1, { spacingZmm: null }), [-2, 0]).neighbourPaths).toEqual([null, null]);
    expect(toPatchJob(lesion(1, { spacingZmm: 5 }), [-2, 0, 2]).neighbourPaths).toEqual([null, null, null]); // 2 mm rounds to the key slice
  });

  it('carries the HU window of 8-bit sources', () => {
    expect(toPatchJob(lesion(1, { imageEncoding: 'gray8', imageHuLow: -1024, imageHuHigh: 3071 }), [0]).huWindow).toEqual({ low: -1024, high: 3071 });
  });
});

describe('EmbeddingService', () => {
  function setup(pages: LesionToEmbed[][], failKeys: number[] = []) {
    const saved: number[] = [];
    const repository = {
      upsertModel: jest.fn().mockResolvedValue(undefined),
      countLesions: jest.fn().mockResolvedValue(99),
      countMissing: jest.fn().mockResolvedValue(pages.flat().length),
      lesionsToEmbed: jest.fn().mockImplementation(async () => pages.shift() ?? []),
      saveEmbeddings: jest.fn().mockImplementation(async (_model: string, rows: { lesionId: number }[]) => {
        saved.push(...rows.map((r) => r.lesionId));
        return rows.map((r) => r.lesionId + 1000);
      }),
    };
    const encoder = {
      loaded: { modelId: 'm'.repeat(64), manifest: { input: { sliceOffsetsMm: [0] } } },
      dim: 3,
      status: () => ({ state: 'ready' }),
      embedJobs: jest
        .fn()
        .mockImplementation(async (jobs: PatchJob[], onBatch: (r: EmbedResult[]) => Promise<void>) =>
          onBatch(
            jobs.map((j) =>
              failKeys.includes(j.key) ? { ok: false, key: j.key, message: 'image file is missing' } : { ok: true, key: j.key, vector: new Float32Array(3) },
            ),
          ),
        ),
    };
    const vectorIndex = { addLabels: jest.fn().mockResolvedValue(undefined), isReady: () => true, snapshotIfChanged: jest.fn().mockResolvedValue(undefined) };
    const service = new EmbeddingService(
      repository as unknown as EmbeddingsRepository,
      encoder as unknown as EncoderService,
      vectorIndex as unknown as VectorIndexService,
    );
    return { service, repository, saved, vectorIndex };
  }

  it('pages through missing lesions, stores what embeds and reports what does not', async () => {
    const { service, repository, saved, vectorIndex } = setup([[lesion(1), lesion(2)], [lesion(5)]], [2]);
    const progress: number[] = [];
    const summary = await service.embedMissing({ onProgress: (p) => progress.push(p.done) });
    expect(saved).toEqual([1, 5]);
    expect(summary).toMatchObject({ total: 3, done: 3, embedded: 2, failed: 1, failures: [{ lesionId: 2, message: 'image file is missing' }] });
    expect(progress).toEqual([2, 3]);
    // The index follows the database: each stored batch's labels, then one snapshot.
    expect(vectorIndex.addLabels.mock.calls).toEqual([[[1001]], [[1005]]]);
    expect(vectorIndex.snapshotIfChanged).toHaveBeenCalledTimes(1);
    // Keyset paging: the second page starts after the last id of the first.
    expect(repository.lesionsToEmbed.mock.calls.map((c) => c[1])).toEqual([0, 2, 5]);
    expect(repository.lesionsToEmbed.mock.calls[0][3]).toEqual({ onlyIds: undefined, includeExisting: undefined, modalities: ['CT'] });
  });

  it('recomputes everything in place with force', async () => {
    const { service, repository } = setup([[lesion(1)]]);
    const summary = await service.embedMissing({ force: true });
    expect(summary.total).toBe(99);
    expect(repository.lesionsToEmbed.mock.calls[0][3]).toEqual({ onlyIds: undefined, includeExisting: true, modalities: ['CT'] });
  });
});
