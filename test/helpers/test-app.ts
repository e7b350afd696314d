import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { APP_OPTIONS, configureApp, createHttpAdapter, initApp } from '../../src/app.setup';
import { AuthService } from '../../src/auth/auth.service';
import { Role } from '../../src/auth/auth.entities';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { SampleService } from '../../src/sample/sample.service';
import { createTestDatabase, TestDatabase } from './database';

/**
 * Where tests keep the generated synthetic sample: shared by all test files, generated once per
 * version of the generator (the folder name carries a hash of src/sample's sources, so a changed
 * generator writes a new sample instead of tests reading the old one).
 */
export const TEST_SAMPLE_DIR = path.join(os.tmpdir(), `lesion-retrieval-test-sample-${sampleGeneratorHash()}`);
/** The default encoder is written here once (deterministic bytes, so every test agrees on its id). */
export const TEST_MODELS_DIR = path.join(os.tmpdir(), 'lesion-retrieval-test-models');

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  database: TestDatabase;
  adminKey: string;
  http: () => ReturnType<typeof request>;
  keyFor(role: Role): Promise<string>;
  close(): Promise<void>;
}

/** The whole HTTP app on a fresh database of its own, with an admin key. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const indexDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lesion-index-'));
  const config = loadConfig({
    DATABASE_URL: database.url,
    SAMPLE_DIR: TEST_SAMPLE_DIR,
    MODELS_DIR: TEST_MODELS_DIR,
    INDEX_DIR: indexDir,
    LOG_LEVEL: 'error',
    TAG_PREDICTION_DELAY_MS: '-1',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config, database.url)] }).compile();
  const app = moduleRef.createNestApplication(createHttpAdapter(), { ...APP_OPTIONS, logger: ['fatal', 'error'] });
  configureApp(app, config);
  await initApp(app);
  const auth = app.get(AuthService);
  const adminKey = (await auth.createKey('test-admin', 'admin')).key;
  return {
    app,
    config,
    database,
    adminKey,
    http: () => request(app.getHttpServer()),
    keyFor: async (role) => (await auth.createKey(`test-${role}`, role)).key,
    close: async () => {
      await app.close();
      await database.drop();
      fs.rmSync(indexDir, { recursive: true, force: true });
    },
  };
}

/** The app with the built-in sample imported, a reader and a curator key, and its DataSource: most e2e files start here. */
export interface SampleApp extends TestApp {
  reader: string;
  curator: string;
  db: DataSource;
}

export async function createSampleApp(env: Record<string, string> = {}): Promise<SampleApp> {
  const t = await createTestApp({ SAMPLE_AUTOLOAD: 'false', ...env });
  const job = await t.app.get(SampleService).ensureIngested();
  if (job.status !== 'completed') throw new Error(`the sample import ended ${job.status}`);
  return { ...t, reader: await t.keyFor('reader'), curator: await t.keyFor('curator'), db: t.app.get(DataSource) };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const SHARED_DIR = path.resolve(__dirname, '../../../shared');

function sampleGeneratorHash(): string {
  const folder = path.resolve(__dirname, '../../src/sample');
  const hash = createHash('sha256');
  // Recursive: the phantom lives in src/sample/phantom/.
  const sources = (fs.readdirSync(folder, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts')).sort();
  for (const file of sources) hash.update(file).update(fs.readFileSync(path.join(folder, file)));
  return hash.digest('hex').slice(0, 12);
}
