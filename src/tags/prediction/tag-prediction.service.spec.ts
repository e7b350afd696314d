import { AppConfig } from '../../config/app-config';
import { EncoderService } from '../../ml/encoder.service';
import { VectorIndexService } from '../../vector-index/vector-index.service';
import { LesionTagsRepository } from '../lesion-tags.repository';
import { JobQueue } from '../../jobs/job-queue.port';
import { TagPredictionService } from './tag-prediction.service';
import { VocabularyService } from '../vocabulary.service';

const inProcess = { distributed: false } as JobQueue;

describe('TagPredictionService.schedule', () => {
  afterEach(() => jest.useRealTimers());

  it('waits for the index to finish loading instead of skipping the run', () => {
    jest.useFakeTimers();
    let ready = false;
    const index = { isReady: () => ready } as unknown as VectorIndexService;
    const config = { tags: { predictionDelayMs: 1000, predictionK: 10 } } as unknown as AppConfig;
    const service = new TagPredictionService(config, {} as LesionTagsRepository, {} as VocabularyService, index, {} as EncoderService, inProcess);
    const recompute = jest.spyOn(service, 'recomputeIfStale').mockResolvedValue(null);

    service.schedule();
    jest.advanceTimersByTime(3500);
    expect(recompute).not.toHaveBeenCalled();

    ready = true;
    jest.advanceTimersByTime(1000);
    expect(recompute).toHaveBeenCalledTimes(1);
  });

  it('does nothing when prediction is switched off', () => {
    jest.useFakeTimers();
    const config = { tags: { predictionDelayMs: -1, predictionK: 10 } } as unknown as AppConfig;
    const service = new TagPredictionService(
      config,
      {} as LesionTagsRepository,
      {} as VocabularyService,
      { isReady: () => true } as unknown as VectorIndexService,
      {} as EncoderService,
      inProcess,
    );
    const recompute = jest.spyOn(service, 'recomputeIfStale').mockResolvedValue(null);
    service.schedule();
    jest.advanceTimersByTime(60_000);
    expect(recompute).not.toHaveBeenCalled();
  });

  it("puts the run on a shared queue instead of running it here, even before this process's index is loaded", () => {
    jest.useFakeTimers();
    const config = { tags: { predictionDelayMs: 1000, predictionK: 10 } } as unknown as AppConfig;
    const enqueue = jest.fn().mockResolvedValue(undefined);
    const shared = { distributed: true, enqueue } as unknown as JobQueue;
    const service = new TagPredictionService(
      config,
      {} as LesionTagsRepository,
      {} as VocabularyService,
      { isReady: () => false } as unknown as VectorIndexService,
      {} as EncoderService,
      shared,
    );
    const recompute = jest.spyOn(service, 'recomputeIfStale').mockResolvedValue(null);
    service.schedule();
    jest.advanceTimersByTime(1000);
    expect(enqueue).toHaveBeenCalledWith('tag-prediction', { force: false });
    expect(recompute).not.toHaveBeenCalled();
  });
});
