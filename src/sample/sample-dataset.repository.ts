import { Injectable } from '@nestjs/common';
import { encode } from 'fast-png';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { DEFAULT_SAMPLE_PATIENTS, DEFAULT_SAMPLE_SEED, formatDlInfoCsv, listSampleSeries, planSampleDataset, renderSlice, seriesSliceIndexes } from './phantom';

export interface SampleDatasetEnsureOptions {
  /** Default DEFAULT_SAMPLE_SEED (the configuration's default too). */
  seed?: number;
  /** Default DEFAULT_SAMPLE_PATIENTS (24). */
  patients?: number;
  /** Called after each slice is written, and once with (0, total) before the first. */
  onProgress?: (done: number, total: number) => void;
}

export interface SampleDatasetResult {
  /** False when a complete dataset was already there (nothing was written). */
  created: boolean;
  csvPath: string;
  imagesDir: string;
  lesions: number;
  slices: number;
}

export const DL_INFO_FILE = 'DL_info.csv';
export const IMAGES_DIR = 'Images_png';
/** Written last, inside the temporary folder: its presence means the dataset is whole. */
export const COMPLETE_MARKER = '.complete';

/**
 * Writes the synthetic DeepLesion-shaped dataset to disk (DL_info.csv + Images_png/…/NNN.png, 16-bit).
 *
 * The dataset is built in a sibling folder `<dir>.tmp-<pid>` and renamed into place in one step, so a
 * crash or a kill never leaves half a dataset at `dir`. A non-empty `dir` without the marker is not
 * ours to delete (it could be a real DeepLesion download): that is refused with an error.
 */
@Injectable()
export class SampleDatasetRepository {
  /** Concurrent calls for the same folder share one generation. */
  private readonly inFlight = new Map<string, Promise<SampleDatasetResult>>();

  ensure(dir: string, options: SampleDatasetEnsureOptions = {}): Promise<SampleDatasetResult> {
    const target = path.resolve(dir);
    const running = this.inFlight.get(target);
    if (running) return running;
    const job = this.ensureNow(target, options).finally(() => this.inFlight.delete(target));
    this.inFlight.set(target, job);
    return job;
  }

  private async ensureNow(target: string, options: SampleDatasetEnsureOptions): Promise<SampleDatasetResult> {
    const csvPath = path.join(target, DL_INFO_FILE);
    const imagesDir = path.join(target, IMAGES_DIR);
    if (await isComplete(target)) return { created: false, csvPath, imagesDir, ...(await countExisting(target)) };

    await removeEmptyOrRefuse(target);
    await removeStaleTemporaryFolders(target);
    const temporary = `${target}.tmp-${process.pid}`;
    await rm(temporary, { recursive: true, force: true });
    try {
      const counts = await writeDataset(temporary, options);
      try {
        await rename(temporary, target);
      } catch (error) {
        // Another process finished first: keep its dataset, drop ours.
        if (isCode(error, 'ENOTEMPTY', 'EEXIST') && (await isComplete(target))) {
          await rm(temporary, { recursive: true, force: true });
          return { created: false, csvPath, imagesDir, ...(await countExisting(target)) };
        }
        throw error;
      }
      return { created: true, csvPath, imagesDir, ...counts };
    } catch (error) {
      await rm(temporary, { recursive: true, force: true });
      throw error;
    }
  }
}

async function writeDataset(folder: string, options: SampleDatasetEnsureOptions): Promise<{ lesions: number; slices: number }> {
  const seed = options.seed ?? DEFAULT_SAMPLE_SEED;
  const patients = options.patients ?? DEFAULT_SAMPLE_PATIENTS;
  const cases = planSampleDataset({ seed, patients });
  const work = listSampleSeries(cases).map((series) => ({ series, slices: seriesSliceIndexes(series) }));
  const total = work.reduce((sum, w) => sum + w.slices.length, 0);
  options.onProgress?.(0, total);
  let done = 0;
  for (const { series, slices } of work) {
    const seriesDir = path.join(folder, IMAGES_DIR, series.folderName);
    await mkdir(seriesDir, { recursive: true });
    for (const slice of slices) {
      // Deflate level 1: a third faster than the default and the files barely grow (noise does not compress).
      const png = encode({ width: series.width, height: series.height, data: renderSlice(series, slice), depth: 16, channels: 1 }, { zlib: { level: 1 } });
      await writeFile(path.join(seriesDir, `${String(slice).padStart(3, '0')}.png`), png);
      options.onProgress?.(++done, total);
    }
  }
  await writeFile(path.join(folder, DL_INFO_FILE), formatDlInfoCsv(cases));
  await writeFile(
    path.join(folder, COMPLETE_MARKER),
    JSON.stringify({ generator: 'synthetic-deeplesion', seed, patients, lesions: cases.length, slices: total }) + '\n',
  );
  return { lesions: cases.length, slices: total };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function isComplete(folder: string): Promise<boolean> {
  return (await exists(path.join(folder, DL_INFO_FILE))) && (await exists(path.join(folder, COMPLETE_MARKER)));
}

/** Counts what is on disk rather than trusting the marker. */
async function countExisting(folder: string): Promise<{ lesions: number; slices: number }> {
  const csv = await readFile(path.join(folder, DL_INFO_FILE), 'utf8');
  const lesions = Math.max(0, csv.split('\n').filter((line) => line.trim() !== '').length - 1);
  let slices = 0;
  const imagesDir = path.join(folder, IMAGES_DIR);
  if (await exists(imagesDir)) {
    for (const series of await readdir(imagesDir, { withFileTypes: true })) {
      if (!series.isDirectory()) continue;
      slices += (await readdir(path.join(imagesDir, series.name))).filter((name) => name.endsWith('.png')).length;
    }
  }
  return { lesions, slices };
}

async function removeEmptyOrRefuse(target: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(target);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return;
    throw error;
  }
  if (entries.length > 0) {
    throw new Error(`${target} exists but holds no complete sample dataset (no ${COMPLETE_MARKER} marker); remove it or choose another sample folder`);
  }
  await rmdir(target);
}

/** `<dir>.tmp-<pid>` folders left by generators that died mid-way (their process is gone). */
async function removeStaleTemporaryFolders(target: string): Promise<void> {
  const parent = path.dirname(target);
  const prefix = `${path.basename(target)}.tmp-`;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch (error) {
    if (isCode(error, 'ENOENT')) {
      await mkdir(parent, { recursive: true });
      return;
    }
    throw error;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || (pid !== process.pid && isProcessAlive(pid))) continue;
    await rm(path.join(parent, name), { recursive: true, force: true });
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return isCode(error, 'EPERM');
  }
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return typeof error === 'object' && error !== null && codes.includes((error as NodeJS.ErrnoException).code ?? '');
}
