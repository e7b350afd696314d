import * as path from 'node:path';
import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('uses embedded defaults when the environment is empty', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.databaseUrl).toBeNull();
    expect(config.embeddedPg.dataDir).toBe('/srv/app/data/pg');
    expect(config.sample.dir).toBe('/srv/app/data/sample');
    expect(config.port).toBe(3000);
    expect(config.bootstrapAdminKey).toBe('auto');
    expect(config.ingest.roots).toEqual(['/srv/app/data']);
  });

  it('reads INGEST_ROOTS as a comma list of folders, relative ones from the working folder', () => {
    expect(loadConfig({ INGEST_ROOTS: '/mnt/deeplesion, imports ,' }, '/srv/app').ingest.roots).toEqual(['/mnt/deeplesion', '/srv/app/imports']);
    expect(() => loadConfig({ INGEST_ROOTS: ' , ' })).toThrow(/INGEST_ROOTS must name at least one folder/);
    expect(() => loadConfig({ INGEST_MAX_CSV_BYTES: '-1' })).toThrow(/INGEST_MAX_CSV_BYTES/);
  });

  it('reads every documented variable', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'postgres://u@h/db',
        PORT: '8080',
        DATA_DIR: '/var/lesions',
        SAMPLE_AUTOLOAD: 'false',
        INGEST_BATCH_SIZE: '50',
        BOOTSTRAP_ADMIN_KEY: 'never',
      },
      '/srv/app',
    );
    expect(config.databaseUrl).toBe('postgres://u@h/db');
    expect(config.port).toBe(8080);
    expect(config.embeddedPg.dataDir).toBe('/var/lesions/pg');
    expect(config.sample.autoload).toBe(false);
    expect(config.ingest.batchSize).toBe(50);
    expect(config.bootstrapAdminKey).toBe('never');
  });

  it('keeps one parked model by default, and always at least one', () => {
    expect(loadConfig({}).encoder.parkedModels).toBe(1);
    expect(loadConfig({ PARKED_MODELS: '3' }).encoder.parkedModels).toBe(3);
    expect(() => loadConfig({ PARKED_MODELS: '0' })).toThrow(/PARKED_MODELS must be an integer in 1..16/);
    expect(() => loadConfig({ PARKED_MODELS: 'all' })).toThrow(/PARKED_MODELS/);
  });

  it('reports every invalid value at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', SAMPLE_AUTOLOAD: 'maybe', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toHaveLength(3);
    expect((error as ConfigError).message).toContain('PORT');
  });
  it('reads the DICOMweb sources, timeout and bound, and refuses bad ones at boot', () => {
    const config = loadConfig({
      DICOMWEB_SOURCES: '{"pacs": "http://pacs:8042/dicom-web"}',
      DICOMWEB_TIMEOUT_MS: '2500',
      DICOMWEB_MAX_RESPONSE_BYTES: '1048576',
    });
    expect(config.dicomWeb).toEqual({
      sources: new Map([['pacs', { name: 'pacs', baseUrl: 'http://pacs:8042/dicom-web', authorization: null }]]),
      timeoutMs: 2500,
      maxResponseBytes: 1048576,
      cacheDir: path.resolve('data', 'dicomweb-cache'),
      cacheMaxBytes: 10 * 1024 ** 3,
      cacheKeep: false,
    });
    expect(loadConfig({ DATA_DIR: '/srv/lrs', DICOMWEB_CACHE_MAX_BYTES: '5000000', DICOMWEB_CACHE_KEEP: 'true' }).dicomWeb).toMatchObject({
      cacheDir: '/srv/lrs/dicomweb-cache',
      cacheMaxBytes: 5_000_000,
      cacheKeep: true,
    });
    expect(loadConfig({ DICOMWEB_CACHE_DIR: '/tmp/c' }).dicomWeb.cacheDir).toBe('/tmp/c');
    expect(() => loadConfig({ DICOMWEB_CACHE_MAX_BYTES: '1000' })).toThrow(/DICOMWEB_CACHE_MAX_BYTES must be an integer in 1048576\.\./);
    expect(loadConfig({}).dicomWeb).toMatchObject({ timeoutMs: 10_000, maxResponseBytes: 64 * 1024 ** 2 });
    expect(loadConfig({}).dicomWeb.sources.size).toBe(0);
    expect(() => loadConfig({ DICOMWEB_SOURCES: '[1]', DICOMWEB_TIMEOUT_MS: '0' })).toThrow(
      /DICOMWEB_SOURCES must be a JSON object[\s\S]*DICOMWEB_TIMEOUT_MS must be an integer in 50\.\.600000/,
    );
  });

  it('reads the process role, the job queue and the log format, and keeps jobs in-process by default', () => {
    const defaults = loadConfig({}, '/srv/app');
    expect(defaults).toMatchObject({ role: 'all', logFormat: 'text', jobs: { redisUrl: null } });
    const worker = loadConfig(
      { ROLE: 'worker', REDIS_URL: 'redis://cache:6379', QUEUE_PREFIX: 'prod', JOB_LOCK_MS: '5000', WORKER_PORT: '9100', LOG_FORMAT: 'json' },
      '/srv/app',
    );
    expect(worker).toMatchObject({
      role: 'worker',
      workerPort: 9100,
      logFormat: 'json',
      jobs: { redisUrl: 'redis://cache:6379', prefix: 'prod', lockMs: 5000 },
    });
  });

  it('refuses an api or worker role without REDIS_URL, and a malformed queue setting', () => {
    expect(() => loadConfig({ ROLE: 'api' })).toThrow(/ROLE=api needs REDIS_URL/);
    expect(() => loadConfig({ ROLE: 'worker' })).toThrow(/ROLE=worker needs REDIS_URL/);
    expect(() => loadConfig({ ROLE: 'scheduler' })).toThrow(/ROLE must be one of all, api, worker/);
    expect(() => loadConfig({ REDIS_URL: 'http://cache' })).toThrow(/REDIS_URL must start with redis:\/\//);
    expect(() => loadConfig({ REDIS_URL: 'redis://cache', QUEUE_PREFIX: 'a b' })).toThrow(/QUEUE_PREFIX/);
    expect(() => loadConfig({ JOB_QUEUE_MAX_WAITING: '0' })).toThrow(/JOB_QUEUE_MAX_WAITING/);
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });
});
