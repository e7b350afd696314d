import * as os from 'node:os';
import * as path from 'node:path';
import { DicomWebSource, parseDicomWebSources } from './dicomweb-sources';
import { DEFAULT_MAX_IMAGE_PIXELS, MIN_SLICE_SIDE } from '../imaging/hu-image';

/** Everything the service reads from its environment, parsed and validated once at boot. */
export interface AppConfig {
  port: number;
  host: string;
  /** Set: use this PostgreSQL. Unset: start the embedded one. */
  databaseUrl: string | null;
  embeddedPg: { dataDir: string; port: number };
  dataDir: string;
  sample: { dir: string; autoload: boolean; seed: number; patients: number };
  ingest: {
    batchSize: number;
    maxStoredErrors: number;
    imageCheckConcurrency: number;
    batchDelayMs: number;
    /** Folders the paths of `POST /admin/ingest` must lie in (after symlinks); the CLI is not bound by them. */
    roots: string[];
    /** Largest CSV read (bytes). */
    maxCsvBytes: number;
    /** Longest CSV record (characters); a longer one is a bad row (or a bad header). */
    maxCsvLineLength: number;
    /** Largest image file an import reads (bytes). */
    maxImageBytes: number;
  };
  /** DICOM folder imports (src/archive). */
  archive: {
    /** Managed folder of the slices written from DICOM archives (DeepLesion-style 16-bit PNGs). */
    dir: string;
    /** Files one import may walk; more refuses the import before anything is read. */
    maxFiles: number;
    /** Larger files are reported and skipped. */
    maxFileBytes: number;
    /** Folder nesting walked below the import folder. */
    maxDepth: number;
    /** Slices (frames) one series may have; a larger series is reported and skipped. */
    maxSeriesSlices: number;
    /** Neighbours written each side of a key slice, at most (fewer when the models' slice offsets need fewer). */
    neighbourSlices: number;
    /** Worker threads decoding archive slices; 0 decodes in the main thread (tests, tiny archives). */
    decodeWorkers: number;
  };
  /** De-identification secret (HMAC key of pseudonyms, date shifts and UIDs); null: generated under DATA_DIR (embedded database only). */
  deidSecret: string | null;
  /** 'auto': create and print an admin key at start when none exists and the database is embedded. */
  bootstrapAdminKey: 'auto' | 'always' | 'never';
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  maxUploadBytes: number;
  /** JSON bodies nesting objects/arrays deeper than this are refused with 400 before they are validated. */
  maxJsonDepth: number;
  /** JSON bodies with an array or object of more entries than this are refused with 400 before they are validated. */
  maxJsonItems: number;
  /** /metrics renders at most once per this many ms; scrapes in between get the same text (0: every scrape renders). */
  metricsCacheMs: number;
  audit: {
    /** Audit rows older than this many days are deleted (hourly); 0 keeps them forever. */
    retentionDays: number;
  };
  /** A request still running after this long is answered 503 (its upload decoding is stopped). */
  requestTimeoutMs: number;
  /** Diagnostic: event-loop stalls over eventLoopStallMs, by the routes served during them, summarised to this JSON file; null: off. */
  eventLoopStallLog: string | null;
  eventLoopStallMs: number;
  uploads: {
    /** Worker threads that decode uploaded slices (and prepare their patches) off the event loop. */
    decodeConcurrency: number;
    /** Uploads waiting for a decode worker; one more is answered 503 with Retry-After. */
    queueLimit: number;
    /** Images over this many pixels are refused from their header, before decoding. */
    maxImagePixels: number;
    /** The large-image lane rests this many times a job's run time after it, leaving the cores to other requests. */
    largeRestRatio: number;
    workerNiceness: number;
  };
  encoder: {
    /** Folder of model folders, each with manifest.json and its ONNX file. */
    modelsDir: string;
    /** Model folder name; the default one is written by the project's own code when absent. */
    model: string;
    executionProviders: ExecutionProvider[];
    /** onnxruntime intra-op threads; 0 lets onnxruntime choose. */
    intraOpThreads: number;
    batchSize: number;
    /** Compute embeddings while importing (otherwise only `npm run embed`). */
    embedOnIngest: boolean;
    /** Worker threads that decode and prepare patches while the model runs; 0 prepares in the main thread. */
    prepareWorkers: number;
    /**
     * Models switched away from that stay loaded (encoder session and HNSW graph), most recent first, so that
     * switching back to them is instant; older ones are released. At least 1: the previous model is always kept.
     */
    parkedModels: number;
  };
  detector: {
    /** Detector model folder under encoder.modelsDir; the default one is written by the project's own code. */
    model: string;
    /** Series folders for detection jobs must lie under this folder. */
    seriesRoot: string;
    /** Detection jobs kept in memory (oldest finished ones are dropped). */
    maxJobs: number;
    /** onnxruntime intra-op threads of the detector session; 0 lets onnxruntime choose. */
    intraOpThreads: number;
  };
  index: {
    /** Folder of HNSW snapshot files (derived data: deleting it only costs a rebuild). */
    dir: string;
    m: number;
    efConstruction: number;
    efSearch: number;
    /** Write a snapshot after this many added points (and after each import, and at shutdown). */
    snapshotEvery: number;
  };
  changeLog: {
    /** Look for new change-log entries at least this often (NOTIFY usually wakes a process sooner). */
    pollMs: number;
    /** The snapshot owner deletes entries older than this that its snapshot contains. */
    retentionHours: number;
  };
  /** /health/ready answers 503 while the oldest change-log entry not applied here is older than this. */
  readyMaxLagMs: number;
  tags: {
    /** Recompute predicted tags this long after labels or embeddings change; -1 turns it off. */
    predictionDelayMs: number;
    /** Labelled neighbours that vote on each term. */
    predictionK: number;
  };
  dicomWeb: {
    /** Configured DICOMweb endpoints by name (DICOMWEB_SOURCES). */
    sources: Map<string, DicomWebSource>;
    /** Each DICOMweb request (connect, answer and body) must finish within this. */
    timeoutMs: number;
    /** Largest DICOMweb answer read (one instance, a search, a study part); a larger one is refused unread. */
    maxResponseBytes: number;
    /** PACS imports: where retrieved studies wait for the archive importer (files named by keyed hashes). */
    cacheDir: string;
    /** The cache's bound; the oldest studies are evicted past it. */
    cacheMaxBytes: number;
    /** Keep a study's cached files after its import completed (default: delete them). */
    cacheKeep: boolean;
  };
  /** all: serves HTTP and runs jobs (the default); api: serves HTTP and enqueues; worker: runs jobs, serves /health and /metrics. */
  role: AppRole;
  /** The port a `worker` listens on for /health and /metrics (PORT is the HTTP API's). */
  workerPort: number;
  /** text: Nest's readable lines; json: one JSON object per line (time, level, context, message, requestId). */
  logFormat: 'text' | 'json';
  jobs: {
    /** Set: long jobs go through BullMQ on this Redis and any worker runs them. Unset: they run in this process. */
    redisUrl: string | null;
    /** Prefix of every BullMQ key, so several deployments (or tests) share one Redis. */
    prefix: string;
    /** Jobs of one name waiting to start; one more is answered 503 with Retry-After. */
    maxWaiting: number;
    /** Jobs of one name this process runs at once. */
    concurrency: number;
    /** Tries of a job that fails on a transient error (connection lost, deadlock); other errors fail it at once. */
    attempts: number;
    /** First retry delay; doubles with each further try. */
    backoffMs: number;
    /** A worker that has not renewed its hold on a job for this long is presumed dead; another worker takes the job. */
    lockMs: number;
  };
}

export const APP_ROLES = ['all', 'api', 'worker'] as const;
export type AppRole = (typeof APP_ROLES)[number];

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Documented in README's configuration table; keep the two in step. */
export function loadConfig(env: Env, cwd: string = process.cwd()): AppConfig {
  const problems: string[] = [];
  const str = (name: string, fallback: string): string => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? fallback : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };
  const oneOf = <T extends string>(name: string, fallback: T, allowed: readonly T[]): T => {
    const v = str(name, fallback);
    if (!(allowed as readonly string[]).includes(v)) {
      problems.push(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
      return fallback;
    }
    return v as T;
  };

  const list = <T extends string>(name: string, fallback: T[], allowed: readonly T[]): T[] => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const values = raw
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    const unknown = values.filter((v) => !(allowed as readonly string[]).includes(v));
    if (unknown.length || values.length === 0) {
      problems.push(`${name} must be a comma list of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return values as T[];
  };

  const dataDir = path.resolve(cwd, str('DATA_DIR', './data'));
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const config: AppConfig = {
    port: int('PORT', 3000, 0, 65535),
    host: str('HOST', '127.0.0.1'),
    databaseUrl,
    embeddedPg: {
      dataDir: path.resolve(cwd, str('EMBEDDED_PG_DIR', path.join(dataDir, 'pg'))),
      port: int('EMBEDDED_PG_PORT', 54329, 1024, 65535),
    },
    dataDir,
    sample: {
      dir: path.resolve(cwd, str('SAMPLE_DIR', path.join(dataDir, 'sample'))),
      autoload: bool('SAMPLE_AUTOLOAD', true),
      seed: int('SAMPLE_SEED', 20181022, 0, 2 ** 31 - 1),
      patients: int('SAMPLE_PATIENTS', 24, 1, 2000),
    },
    ingest: {
      batchSize: int('INGEST_BATCH_SIZE', 500, 1, 100000),
      maxStoredErrors: int('INGEST_MAX_STORED_ERRORS', 1000, 0, 1000000),
      imageCheckConcurrency: int('INGEST_IMAGE_CHECK_CONCURRENCY', 16, 1, 256),
      // Only for crash-safety tests and demos: slows each batch so an import can be killed mid-way.
      batchDelayMs: int('INGEST_BATCH_DELAY_MS', 0, 0, 60000),
      roots: str('INGEST_ROOTS', dataDir)
        .split(',')
        .map((root) => root.trim())
        .filter(Boolean)
        .map((root) => path.resolve(cwd, root)),
      maxCsvBytes: int('INGEST_MAX_CSV_BYTES', 2 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
      maxCsvLineLength: int('INGEST_MAX_CSV_LINE_LENGTH', 64 * 1024, 16, 1024 ** 3),
      maxImageBytes: int('INGEST_MAX_IMAGE_BYTES', 64 * 1024 ** 2, 1024, 2 * 1024 ** 3),
    },
    archive: {
      dir: path.resolve(cwd, str('ARCHIVE_DIR', path.join(dataDir, 'archive'))),
      maxFiles: int('ARCHIVE_MAX_FILES', 200_000, 1, 10_000_000),
      maxFileBytes: int('ARCHIVE_MAX_FILE_BYTES', 512 * 1024 ** 2, 1024, 4 * 1024 ** 3),
      maxDepth: int('ARCHIVE_MAX_DEPTH', 16, 0, 64),
      maxSeriesSlices: int('ARCHIVE_MAX_SERIES_SLICES', 4000, 1, 100_000),
      neighbourSlices: int('ARCHIVE_NEIGHBOUR_SLICES', 8, 0, 64),
      decodeWorkers: int('ARCHIVE_DECODE_WORKERS', Math.max(1, os.cpus().length - 1), 0, 64),
    },
    deidSecret: env.DEID_SECRET?.trim() || null,
    bootstrapAdminKey: oneOf('BOOTSTRAP_ADMIN_KEY', 'auto', ['auto', 'always', 'never'] as const),
    logLevel: oneOf('LOG_LEVEL', 'log', ['error', 'warn', 'log', 'debug'] as const),
    maxUploadBytes: int('MAX_UPLOAD_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    // The deepest body a route takes is 4 levels (a cohort definition); far below what overflows the validator's recursion.
    maxJsonDepth: int('MAX_JSON_DEPTH', 32, 4, 256),
    // The longest list a JSON route takes is 32 datasets; the validation pipe's passes over a huge array block the loop.
    maxJsonItems: int('MAX_JSON_ITEMS', 1000, 32, 1_000_000),
    // A render of the registry is tens of ms of main thread (more with every route × status seen); public, so bounded.
    metricsCacheMs: int('METRICS_CACHE_MS', 1000, 0, 60_000),
    audit: {
      retentionDays: int('AUDIT_RETENTION_DAYS', 90, 0, 36_500),
    },
    requestTimeoutMs: int('REQUEST_TIMEOUT_MS', 60_000, 100, 3_600_000),
    eventLoopStallLog: env.EVENT_LOOP_STALL_LOG?.trim() ? path.resolve(cwd, env.EVENT_LOOP_STALL_LOG.trim()) : null,
    eventLoopStallMs: int('EVENT_LOOP_STALL_MS', 20, 1, 60_000),
    uploads: {
      // One core stays free for the event loop (by-id searches, health) while uploads decode.
      decodeConcurrency: int('UPLOAD_DECODE_CONCURRENCY', Math.max(1, os.cpus().length - 1), 1, 64),
      queueLimit: int('UPLOAD_QUEUE_LIMIT', 32, 0, 10_000),
      maxImagePixels: int('MAX_IMAGE_PIXELS', DEFAULT_MAX_IMAGE_PIXELS, MIN_SLICE_SIDE * MIN_SLICE_SIDE, 100_000_000),
      largeRestRatio: int('UPLOAD_LARGE_REST_RATIO', 2, 0, 10),
      // Decode threads yield the cores to the event loop when both want them (nice, per thread on Linux).
      workerNiceness: int('UPLOAD_WORKER_NICE', 10, 0, 19),
    },
    encoder: {
      modelsDir: path.resolve(cwd, str('MODELS_DIR', path.join(dataDir, 'models'))),
      model: str('ENCODER_MODEL', 'default-scattering'),
      executionProviders: list('ENCODER_EXECUTION_PROVIDERS', ['cpu'], EXECUTION_PROVIDERS),
      intraOpThreads: int('ENCODER_THREADS', 0, 0, 256),
      batchSize: int('ENCODER_BATCH_SIZE', 32, 1, 4096),
      embedOnIngest: bool('EMBED_ON_INGEST', true),
      // One per core measured best on 2 cores (bench:encoder): preparation costs about twice the model.
      prepareWorkers: int('ENCODER_PREPARE_WORKERS', os.cpus().length, 0, 64),
      // Each parked model holds an onnxruntime session and a whole graph in memory.
      parkedModels: int('PARKED_MODELS', 1, 1, 16),
    },
    detector: {
      model: str('DETECTOR_MODEL', 'default-blob'),
      seriesRoot: path.resolve(cwd, str('DETECTION_SERIES_ROOT', dataDir)),
      maxJobs: int('DETECTION_MAX_JOBS', 50, 1, 10000),
      // One thread: concurrent requests give the parallelism, and a spinning pool starves on a busy host.
      intraOpThreads: int('DETECTOR_THREADS', 1, 0, 256),
    },
    index: {
      dir: path.resolve(cwd, str('INDEX_DIR', path.join(dataDir, 'index'))),
      m: int('HNSW_M', 16, 4, 128),
      efConstruction: int('HNSW_EF_CONSTRUCTION', 200, 10, 2000),
      // ef 20 reached recall@10 0.9997 at 32,735 and 0.994 at 1M encoder-shaped vectors (docs/BENCHMARKS.md); ef 40 costs a third more per query.
      efSearch: int('HNSW_EF_SEARCH', 20, 10, 2000),
      snapshotEvery: int('INDEX_SNAPSHOT_EVERY', 5000, 1, 10_000_000),
    },
    changeLog: {
      pollMs: int('CHANGE_LOG_POLL_MS', 1000, 50, 60_000),
      retentionHours: int('CHANGE_LOG_RETENTION_HOURS', 168, 1, 87_600),
    },
    readyMaxLagMs: int('READY_MAX_LAG_MS', 5000, 0, 3_600_000),
    tags: {
      predictionDelayMs: int('TAG_PREDICTION_DELAY_MS', 10_000, -1, 86_400_000),
      predictionK: int('TAG_PREDICTION_K', 10, 1, 200),
    },
    dicomWeb: {
      sources: parseDicomWebSources(env.DICOMWEB_SOURCES, problems),
      timeoutMs: int('DICOMWEB_TIMEOUT_MS', 10_000, 50, 600_000),
      maxResponseBytes: int('DICOMWEB_MAX_RESPONSE_BYTES', 64 * 1024 ** 2, 1024, 2 * 1024 ** 3),
      cacheDir: path.resolve(cwd, str('DICOMWEB_CACHE_DIR', path.join(dataDir, 'dicomweb-cache'))),
      cacheMaxBytes: int('DICOMWEB_CACHE_MAX_BYTES', 10 * 1024 ** 3, 1024 ** 2, Number.MAX_SAFE_INTEGER),
      cacheKeep: bool('DICOMWEB_CACHE_KEEP', false),
    },
    role: oneOf('ROLE', 'all', APP_ROLES),
    workerPort: int('WORKER_PORT', 3001, 0, 65535),
    logFormat: oneOf('LOG_FORMAT', 'text', ['text', 'json'] as const),
    jobs: {
      redisUrl: env.REDIS_URL?.trim() || null,
      prefix: str('QUEUE_PREFIX', 'lrs'),
      maxWaiting: int('JOB_QUEUE_MAX_WAITING', 100, 1, 100_000),
      concurrency: int('JOB_CONCURRENCY', 2, 1, 64),
      attempts: int('JOB_ATTEMPTS', 5, 1, 100),
      backoffMs: int('JOB_BACKOFF_MS', 2000, 10, 3_600_000),
      lockMs: int('JOB_LOCK_MS', 30_000, 1000, 3_600_000),
    },
  };
  if (config.deidSecret !== null && config.deidSecret.length < 16) problems.push('DEID_SECRET must be at least 16 characters');
  if (config.jobs.redisUrl && !/^rediss?:\/\//.test(config.jobs.redisUrl)) problems.push('REDIS_URL must start with redis:// or rediss://');
  if (config.role !== 'all' && !config.jobs.redisUrl)
    problems.push(`ROLE=${config.role} needs REDIS_URL: without a shared queue, jobs run only in the process that accepted them (ROLE=all)`);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(config.jobs.prefix)) problems.push('QUEUE_PREFIX must be 1-64 letters, digits, _ or -');
  if (config.ingest.roots.length === 0) problems.push('INGEST_ROOTS must name at least one folder');
  if (problems.length) throw new ConfigError(problems);
  return config;
}
