import { AppConfig } from '../../config/app-config';
import { EncoderService } from '../../ml/encoder.service';
import { VectorIndexService } from '../../vector-index/vector-index.service';
import { LesionTagsRepository } from '../lesion-tags.repository';
import { JobQueue } from '../../jobs/job-queue.port';
import { TagPredictionService } from './tag-prediction.service';
import { VocabularyService } from '../vocabulary.service';

const inProcess = { distributed: false } as JobQueue;

/** The service with only what schedule() reads: the delay, whether the index is ready, and the queue. */
function scheduler(predictionDelayMs: number, isReady: () => boolean, queue: JobQueue = inProcess): TagPredictionService {
  const config = { tags: { predictionDelayMs, predictionK: 10 } } as unknown as AppConfig;
  const index = { isReady } as unknown as VectorIndexService;
  return new TagPredictionService(config, {} as LesionTagsRepository, {} as VocabularyService, index, {} as EncoderService, queue);
}

describe('TagPredictionService.schedule', () => {
  afterEach(() => jest.useRealTimers());

  it('waits for the index to finish loading instead of skipping the run', () => {
    jest.useFakeTimers();
    let ready = false;
    const service = scheduler(1000, () => ready);
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
    const service = scheduler(-1, () => true);
    const recompute = jest.spyOn(service, 'recomputeIfStale').mockResolvedValue(null);
    service.schedule();
    jest.advanceTimersByTime(60_000);
    expect(recompute).not.toHaveBeenCalled();
  });

  it("puts the run on a shared queue instead of running it here, even before this process's index is loaded", () => {
    jest.useFakeTimers();
    const enqueue = jest.fn().mockResolvedValue(undefined);
    const service = scheduler(1000, () => false, { distributed: true, enqueue } as unknown as JobQueue);
    const recompute = jest.spyOn(service, 'recomputeIfStale').mockResolvedValue(null);
    service.schedule();
    jest.advanceTimersByTime(1000);
    expect(enqueue).toHaveBeenCalledWith('tag-prediction', { force: false });
    expect(recompute).not.toHaveBeenCalled();
  });
});
