import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { VectorIndexService } from '../../src/vector-index/vector-index.service';
import { covers } from '../helpers/route-coverage';
import { createTestApp, TestApp } from '../helpers/test-app';

describe('health probes (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SAMPLE_AUTOLOAD: 'false' });
  });
  afterAll(async () => t?.close());

  it('answers live trivially and ready once the index is loaded and caught up with the change log', async () => {
    await t.http().get('/health/live').expect(200);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info.index).toMatchObject({ status: 'up', points: 0, databaseEmbeddings: 0, log: { lagEntries: 0, lagMs: 0, maxLagMs: 5000 } });
  });

  it('answers 503 while the index loads, with the details as JSON, and logs no error for it', async () => {
    // Hold the index's load on a lock (its metadata query joins patient); the probe's own queries do not touch patient.
    const blocker = new Client({ connectionString: t.database.url });
    await blocker.connect();
    const errors = jest.spyOn(Logger.prototype, 'error');
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE patient IN ACCESS EXCLUSIVE MODE');
      const loading = t.app.get(VectorIndexService).load();
      const res = await t.http().get('/health/ready').expect(503);
      expect(res.body.status).toBe('error');
      expect(res.body.error.index).toMatchObject({
        status: 'down',
        state: 'loading',
        points: 0,
        databaseEmbeddings: 0,
        log: { lagEntries: 0, maxLagMs: 5000 },
      });
      expect(res.body.info.database).toEqual({ status: 'up' });
      await blocker.query('ROLLBACK');
      await loading;
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
      await blocker.end();
    }
    await t.http().get('/health/ready').expect(200);
  });

  it('echoes a well-formed X-Request-Id and makes one for anything else', async () => {
    const given = await t.http().get('/health/live').set('X-Request-Id', 'abc-123').expect(200);
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await t.http().get('/health/live').set('X-Request-Id', 'not an id; with spaces').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('serves Prometheus metrics: latency by route template, index points and change-log lag', async () => {
    covers('GET /metrics', 'success');
    await t.http().get('/health/ready').expect(200);
    await t.http().get('/no/such/route/12345').expect(404);
    const res = await t.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/health\/ready",status="200"\} [1-9]/m);
    expect(res.text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1$/m);
    expect(res.text).not.toContain('12345');
    expect(res.text).toMatch(/^vector_index_points 0$/m);
    expect(res.text).toMatch(/^vector_index_ready 1$/m);
    expect(res.text).toMatch(/^change_log_lag_seconds 0$/m);
  });
});
