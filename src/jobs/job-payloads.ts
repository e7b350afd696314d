/**
 * The jobs that go through the queue, with their payloads. A payload crosses Redis, so a worker reads it
 * as untrusted JSON: `parseJobPayload` checks every field and bound before a handler sees it (the handler
 * then checks paths again, under its own roots, as it would for an HTTP request).
 */
export const JOB_NAMES = ['ingest', 'detection', 'tag-prediction', 'dicom-import', 'model-embedding'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export const INGEST_FORMATS = ['deeplesion', 'keyslice8', 'samples'] as const;

export interface IngestJobPayload {
  /** The ingest_job row (PostgreSQL holds its status, cursor and counts). */
  jobId: string;
  request: {
    format: (typeof INGEST_FORMATS)[number];
    csvPath: string;
    imagesDir: string;
    dataset: string;
    huWindow?: { low: number; high: number };
    pathsFrom: 'api' | 'operator';
  };
}

export interface DetectionJobPayload {
  /** The detection_job row. */
  jobId: string;
  /** The series folder, relative to DETECTION_SERIES_ROOT. */
  series: string;
  spacingMm?: number;
  sliceIntervalMm?: number;
  scoreThreshold?: number;
}

/** A tag-prediction run: its status is the tag_prediction_run row it writes (any process reads it). */
export interface TagPredictionJobPayload {
  /** true: recompute now (an admin asked); false: only when the model or the labels changed since the last run. */
  force: boolean;
}

/** A DICOM folder import (src/archive): its status, cursor and counts are its ingest_job row. */
export interface DicomImportJobPayload {
  jobId: string;
  request: {
    dir: string;
    annotations?: string;
    dataset: string;
    pathsFrom: 'api' | 'operator';
  };
}

/** Embeds the archive with a registered encoder (the encoder_model row holds its status and progress). */
export interface ModelEmbeddingJobPayload {
  modelId: string;
  /**
   * Switch to the model once it is ready (the default). Informational: the registration records it on the
   * encoder_model row (activate_when_ready), which the job reads when the model is ready, so the latest
   * registration's intent counts and survives a restart.
   */
  activate: boolean;
}

export interface JobPayloads {
  ingest: IngestJobPayload;
  detection: DetectionJobPayload;
  'tag-prediction': TagPredictionJobPayload;
  'dicom-import': DicomImportJobPayload;
  'model-embedding': ModelEmbeddingJobPayload;
}

export class InvalidJobPayloadError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MODEL_ID = /^[0-9a-f]{64}$/;
const DATASET = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MAX_PATH = 4096;

export function isJobName(name: unknown): name is JobName {
  return typeof name === 'string' && (JOB_NAMES as readonly string[]).includes(name);
}

/** The payload of a job read back from the queue, checked field by field; throws InvalidJobPayloadError. */
export function parseJobPayload<N extends JobName>(name: N, data: unknown): JobPayloads[N];
export function parseJobPayload(name: string, data: unknown): JobPayloads[JobName] {
  if (!isJobName(name)) throw new InvalidJobPayloadError(`unknown job name ${JSON.stringify(String(name).slice(0, 64))}`);
  const o = object(data, 'payload');
  if (name === 'ingest') {
    const r = object(o.request, 'request');
    const format = r.format;
    if (!(INGEST_FORMATS as readonly unknown[]).includes(format))
      throw new InvalidJobPayloadError(`request.format must be one of ${INGEST_FORMATS.join(', ')}`);
    const pathsFrom = r.pathsFrom;
    if (pathsFrom !== 'api' && pathsFrom !== 'operator') throw new InvalidJobPayloadError('request.pathsFrom must be api or operator');
    const dataset = text(r.dataset, 'request.dataset', 64);
    if (!DATASET.test(dataset)) throw new InvalidJobPayloadError('request.dataset must be 1-64 lowercase letters, digits, _ or -');
    const request: IngestJobPayload['request'] = {
      format: format as IngestJobPayload['request']['format'],
      csvPath: text(r.csvPath, 'request.csvPath', MAX_PATH),
      imagesDir: text(r.imagesDir, 'request.imagesDir', MAX_PATH),
      dataset,
      pathsFrom,
    };
    if (r.huWindow !== undefined) {
      const w = object(r.huWindow, 'request.huWindow');
      const low = number(w.low, 'request.huWindow.low', -32768, 32767);
      const high = number(w.high, 'request.huWindow.high', -32768, 32767);
      if (!(high > low)) throw new InvalidJobPayloadError('request.huWindow must have high > low');
      request.huWindow = { low, high };
    }
    return { jobId: uuid(o.jobId), request };
  }
  if (name === 'dicom-import') {
    const r = object(o.request, 'request');
    const pathsFrom = r.pathsFrom;
    if (pathsFrom !== 'api' && pathsFrom !== 'operator') throw new InvalidJobPayloadError('request.pathsFrom must be api or operator');
    const dataset = text(r.dataset, 'request.dataset', 64);
    if (!DATASET.test(dataset)) throw new InvalidJobPayloadError('request.dataset must be 1-64 lowercase letters, digits, _ or -');
    const request: DicomImportJobPayload['request'] = { dir: text(r.dir, 'request.dir', MAX_PATH), dataset, pathsFrom };
    if (r.annotations !== undefined) request.annotations = text(r.annotations, 'request.annotations', MAX_PATH);
    return { jobId: uuid(o.jobId), request };
  }
  if (name === 'tag-prediction') {
    if (typeof o.force !== 'boolean') throw new InvalidJobPayloadError('force must be true or false');
    return { force: o.force };
  }
  if (name === 'model-embedding') {
    const modelId = o.modelId;
    if (typeof modelId !== 'string' || !MODEL_ID.test(modelId)) throw new InvalidJobPayloadError('modelId must be 64 lowercase hex digits');
    if (o.activate !== undefined && typeof o.activate !== 'boolean') throw new InvalidJobPayloadError('activate must be true or false');
    return { modelId, activate: o.activate !== false };
  }
  const payload: DetectionJobPayload = { jobId: uuid(o.jobId), series: text(o.series, 'series', MAX_PATH) };
  if (o.spacingMm !== undefined) payload.spacingMm = number(o.spacingMm, 'spacingMm', 0.05, 10);
  if (o.sliceIntervalMm !== undefined) payload.sliceIntervalMm = number(o.sliceIntervalMm, 'sliceIntervalMm', 0.1, 20);
  if (o.scoreThreshold !== undefined) payload.scoreThreshold = number(o.scoreThreshold, 'scoreThreshold', 0, 1);
  return payload;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidJobPayloadError(`${field} must be an object`);
  return value as Record<string, unknown>;
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > max || value.includes('\0')) {
    throw new InvalidJobPayloadError(`${field} must be a string of 1-${max} characters without NUL`);
  }
  return value;
}

function number(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw new InvalidJobPayloadError(`${field} must be a number in ${min}..${max}`);
  return value;
}

function uuid(value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new InvalidJobPayloadError('jobId must be a UUID');
  return value;
}
