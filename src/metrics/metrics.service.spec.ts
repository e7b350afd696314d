import { MetricsService } from './metrics.service';

/** The render cache alone: a service without its gauges, over a registry that counts its renders. */
function serviceWith(cacheMs: number, metrics: () => Promise<string>): MetricsService {
  return Object.assign(Object.create(MetricsService.prototype) as MetricsService, { registry: { metrics }, rendered: null, cacheMs });
}

describe('MetricsService.render', () => {
  it('renders once per METRICS_CACHE_MS: scrapes in between, concurrent ones included, share the text', async () => {
    let renders = 0;
    const service = serviceWith(60_000, async () => `render ${++renders}`);
    expect(await Promise.all([service.render(), service.render()])).toEqual(['render 1', 'render 1']);
    expect(await service.render()).toBe('render 1');
    expect(renders).toBe(1);
  });

  it('renders every scrape with 0, and does not keep a failed render', async () => {
    let renders = 0;
    const every = serviceWith(0, async () => `render ${++renders}`);
    expect([await every.render(), await every.render()]).toEqual(['render 1', 'render 2']);
    let fail = true;
    const flaky = serviceWith(60_000, async () => {
      if (fail) throw new Error('collect failed');
      return 'ok';
    });
    await expect(flaky.render()).rejects.toThrow('collect failed');
    fail = false;
    expect(await flaky.render()).toBe('ok');
  });
});
